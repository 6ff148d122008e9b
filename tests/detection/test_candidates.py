import numpy as np
from detection.phantom import NODULE, PIXEL_MM, SLICE_MM, phantom

from lungview.detection.candidates import lung_field, lung_mask
from lungview.detection.finder import find_blob_chains


def _chains_at(found, row, col):
    hits = []
    for chain in found.chains:
        for blob in chain:
            r0, c0, r1, c1 = (np.array(blob.box) * found.factor).tolist()
            if r0 <= row <= r1 + found.factor and c0 <= col <= c1 + found.factor:
                hits.append(chain)
                break
    return hits


def test_a_nodule_over_neighbouring_slices_is_one_chain():
    found = find_blob_chains(list(phantom()), PIXEL_MM, SLICE_MM)
    chains = _chains_at(found, NODULE[1], NODULE[2])
    assert len(chains) == 1
    indices = [blob.index for blob in chains[0]]
    assert indices == list(range(indices[0], indices[-1] + 1))
    assert NODULE[0] in indices and len(indices) >= 3


def test_no_candidate_without_a_nodule_and_the_thin_vessel_is_not_one():
    found = find_blob_chains(list(phantom(nodule=False)), PIXEL_MM, SLICE_MM)
    assert found.chains == ()


def test_the_lung_field_holds_a_nodule_on_the_pleura():
    volume = phantom(nodule=False, vessel=False)
    plane = volume[5].copy()
    rows, cols = np.mgrid[:256, :256]
    plane[(rows - 120) ** 2 + (cols - 32) ** 2 <= 10**2] = 30.0  # bulging in from the lateral chest wall
    field = lung_field(lung_mask(plane))
    assert field[120, 40]
    assert not field[5, 5]
