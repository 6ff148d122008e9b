"""The AI second reader without Qt: load a classifier, classify a slice, explain it, triage a series.

- :mod:`lungview.inference.classifier`: ``load_classifier(id)`` (slow: run it in a worker) gives a
  :class:`~lungview.inference.classifier.SliceClassifier` on one of two back ends:
  :mod:`~lungview.inference.torch_classifier` (ONNX Runtime probabilities, PyTorch Grad-CAM) or
  :mod:`~lungview.inference.onnx_classifier` (ONNX Runtime and numpy only, from the ONNX file a build exports;
  :mod:`~lungview.inference.onnx_files` verifies it, :mod:`~lungview.inference.onnx_session` runs it).
- :mod:`lungview.inference.jobs`: ``classify_slice``, ``cam_for_slice``, ``classify_slices`` and ``triage_series``,
  pure functions of their inputs returning frozen results, run by the viewer's runners and ``lungview predict``.
- :mod:`lungview.inference.viewer_jobs`: the viewer's jobs on a :class:`~lungview.inference.cache.ClassifierCache`
  (list and load models, classify and explain a slice, triage a series, lesion finders included).
- :mod:`lungview.inference.cache`: loads each model once, on whichever worker asks first.
- :mod:`lungview.inference.model_choice`: the default classifier and triage model.

Nothing is imported here, so the viewer can import this package at start-up without waiting for torch.
"""
