"""An ONNX Runtime session takes the thread count it is given, and the module default otherwise."""

import onnx
from onnx import TensorProto, helper

from lungview.inference import onnx_session
from lungview.inference.onnx_session import OnnxNetwork


def _identity_model() -> bytes:
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 2, 2])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1, 2, 2])
    graph = helper.make_graph([helper.make_node("Identity", ["image"], ["logits"])], "identity", [image], [logits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def _threads(network: OnnxNetwork) -> int:
    return network._session.get_session_options().intra_op_num_threads


def test_a_session_uses_its_own_thread_count():
    model = _identity_model()
    onnx.checker.check_model(onnx.load_from_string(model))
    assert _threads(OnnxNetwork(model, threads=3)) == 3
    assert _threads(OnnxNetwork(model)) == onnx_session.INTRA_OP_THREADS
    assert onnx_session.INTRA_OP_THREADS == 2  # giving one session threads changed nothing process-wide
