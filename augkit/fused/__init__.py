"""The fused batch stage: flips, ColorJitter, PCA lighting, Normalize, Cutout and Mixup/CutMix in few passes.

``build_plan(transforms)`` turns a batch-stage transform list into a ``FusedPlan``;
``plan.apply(images, params_list, targets)`` runs it (Triton kernels on CUDA, the same
arithmetic in torch elsewhere). Not imported by ``import augkit``; Triton is imported only
when its kernels run.
"""

from augkit.fused.plan import FusedPlan, FusedSegment, UnfusedStep, build_plan

__all__ = ["FusedPlan", "FusedSegment", "UnfusedStep", "build_plan"]
