"""Lip-gap training loss: linear in the weights, zero for equal takes, in millimetres."""
import numpy as np
import pytest
import torch

from core.arkit import ARKIT_NAMES, NUM_SHAPES
from core.model.lip_geometry import lip_gap_error, lip_pair_basis
from core.model.train import stage1_loss
from core.model.config import VQConfig
from core.model.vqvae import MotionVQVAE


class TinyRig:
    """Four vertices: two inner-lip pairs; shape 0 opens both by 2 mm, shape 1 closes one by 1 mm."""
    def __init__(self):
        self.neutral = np.zeros((4, 3), np.float32)
        self.deltas = np.zeros((NUM_SHAPES, 4, 3), np.float32)
        self.deltas[0, 1, 1] = -0.002     # lower lip of pair 0 down 2 mm (metres)
        self.deltas[0, 3, 1] = -0.002
        self.deltas[1, 1, 1] = 0.001
        self.inner_lip_pairs = np.array([[0, 1], [2, 3]])
        self.lip_idx = np.arange(4)

    def apply(self, w):
        return np.einsum("tk,kvc->tvc", np.asarray(w, np.float32), self.deltas) + self.neutral


def test_basis_matches_the_rig_vertices():
    rig = TinyRig()
    basis = torch.from_numpy(lip_pair_basis(rig))
    assert basis.shape == (NUM_SHAPES, 2, 3)
    rng = np.random.default_rng(0)
    a, b = rng.random((5, NUM_SHAPES), dtype=np.float32), rng.random((5, NUM_SHAPES), dtype=np.float32)
    va, vb = rig.apply(a), rig.apply(b)
    p = rig.inner_lip_pairs
    want = np.linalg.norm((va[:, p[:, 0]] - va[:, p[:, 1]]) - (vb[:, p[:, 0]] - vb[:, p[:, 1]]), axis=-1).mean(-1) * 1000
    got = lip_gap_error(torch.from_numpy(a)[None], torch.from_numpy(b)[None], basis)[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    same = lip_gap_error(torch.from_numpy(a)[None], torch.from_numpy(a)[None], basis)
    assert float(same.abs().max()) == 0.0
    one = np.zeros((1, 1, NUM_SHAPES), np.float32); one[..., 0] = 1.0
    gap = lip_gap_error(torch.from_numpy(one), torch.zeros_like(torch.from_numpy(one)), basis)
    assert float(gap) == pytest.approx(2.0, abs=1e-5)       # both pairs 2 mm apart


def test_stage1_loss_adds_the_lip_term_only_when_asked():
    torch.manual_seed(0)
    vq = MotionVQVAE(VQConfig(hidden=16, res_blocks=1, groups=2, code_dim=8, n_codes=16))
    motion = torch.rand(2, 16, NUM_SHAPES)
    mask = torch.ones(2, 16, dtype=torch.bool)
    basis = torch.from_numpy(lip_pair_basis(TinyRig()))
    plain, info = stage1_loss(vq, motion, mask, quantize=False)
    with_lip, info2 = stage1_loss(vq, motion, mask, quantize=False, lip_basis=basis, lip_weight=0.5)
    assert "lip_gap_mm" not in info and info2["lip_gap_mm"] > 0
    assert (with_lip - plain).item() == pytest.approx(0.5 * info2["lip_gap_mm"], rel=1e-4)


def test_template_jaw_error_is_millimetres(flame_dir):
    from core.rig import FlameRig
    rig = FlameRig.from_ply(flame_dir / "FLAME_template.ply")
    basis = torch.from_numpy(lip_pair_basis(rig))
    w = torch.zeros(1, 1, NUM_SHAPES)
    w2 = w.clone(); w2[..., ARKIT_NAMES.index("jawOpen")] = 0.1
    err = float(lip_gap_error(w2, w, basis))
    assert 0.5 < err < 10.0                                 # a 0.1 jaw error opens the lips by mm
    sealed = w2.clone(); sealed[..., ARKIT_NAMES.index("mouthClose")] = 0.1
    assert float(lip_gap_error(sealed, w, basis)) < 0.3 * err   # mouthClose cancels the jaw's gap
