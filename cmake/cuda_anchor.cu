// Anchor so the CUDA kernel library exists while its kernels are being written.
