"""Pure, deterministic kernels. No randomness lives here: transforms draw and pass parameters."""
