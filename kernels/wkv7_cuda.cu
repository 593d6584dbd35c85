// The CUDA WKV7 kernel (see wkv7_cuda.h): one block per (batch, head), one thread per state
// row (row phases) and per state column (column phases), the fp32 state in shared memory with
// rows padded to N+1 floats so that both phases are free of bank conflicts. The backward
// recomputes each chunk's states from the forward's checkpoints; it never divides by w.
#include "kernels/wkv7_cuda.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace goose::kernels {

namespace {

constexpr int kChunk = static_cast<int>(kWkv7CudaChunk);

__device__ inline float to_f(float x) { return x; }
__device__ inline float to_f(__nv_bfloat16 x) { return __bfloat162float(x); }
template <typename E>
__device__ inline E from_f(float x);
template <>
__device__ inline float from_f<float>(float x) {
  return x;
}
template <>
__device__ inline __nv_bfloat16 from_f<__nv_bfloat16>(float x) {
  return __float2bfloat16(x);
}

// S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ + v_t k_tᵀ,  y_t = S_t r_t.
// Vectors (B,T,H,N) of element type E; states (B,H,N,N) fp32; ckpt (B,H,n_ckpt,N,N) or null.
template <typename E>
__global__ void wkv7_forward_kernel(int steps, int H, int N, int n_ckpt, const E* __restrict__ r,
                                    const E* __restrict__ w, const E* __restrict__ k,
                                    const E* __restrict__ v, const E* __restrict__ a,
                                    const E* __restrict__ b, const float* __restrict__ s0,
                                    E* __restrict__ y, float* __restrict__ s_out,
                                    float* __restrict__ ckpt) {
  extern __shared__ float smem[];
  const int P = N + 1;
  float* S = smem;
  float* vr = S + N * P;
  float* vw = vr + N;
  float* vk = vw + N;
  float* vv = vk + N;
  float* va = vv + N;
  float* vb = va + N;
  const int64_t bh = blockIdx.x;
  const int64_t bi = bh / H, h = bh % H;
  const int i = threadIdx.x;
  const int64_t NN = static_cast<int64_t>(N) * N;

  for (int m = 0; m < N; ++m) S[m * P + i] = s0 ? s0[bh * NN + m * N + i] : 0.f;
  for (int t = 0; t < steps; ++t) {
    const int64_t o = ((bi * steps + t) * H + h) * N;
    __syncthreads();  // the previous row phase is done with S and the vectors
    if (ckpt && t % kChunk == 0) {
      float* dst = ckpt + (bh * n_ckpt + t / kChunk) * NN;
      for (int m = 0; m < N; ++m) dst[m * N + i] = S[m * P + i];
    }
    vr[i] = to_f(r[o + i]);
    vw[i] = to_f(w[o + i]);
    vk[i] = to_f(k[o + i]);
    vv[i] = to_f(v[o + i]);
    va[i] = to_f(a[o + i]);
    vb[i] = to_f(b[o + i]);
    __syncthreads();
    float* row = S + i * P;
    float sa = 0.f;
    for (int j = 0; j < N; ++j) sa += row[j] * va[j];
    const float vi = vv[i];
    float acc = 0.f;
    for (int j = 0; j < N; ++j) {
      const float s = row[j] * vw[j] + sa * vb[j] + vi * vk[j];
      row[j] = s;
      acc += s * vr[j];
    }
    y[o + i] = from_f<E>(acc);
  }
  __syncthreads();
  for (int m = 0; m < N; ++m) s_out[bh * NN + m * N + i] = S[m * P + i];
}

// Backward of the forward above. scratch holds, per block, the states S_{t0+1..t0+C} of the
// chunk being processed (S_{t0} is the checkpoint itself).
template <typename E>
__global__ void wkv7_backward_kernel(int steps, int H, int N, int n_ckpt,
                                     const E* __restrict__ r, const E* __restrict__ w,
                                     const E* __restrict__ k, const E* __restrict__ v,
                                     const E* __restrict__ a, const E* __restrict__ b,
                                     const float* __restrict__ ckpt, const E* __restrict__ dy,
                                     const float* __restrict__ ds_out, E* __restrict__ dr,
                                     E* __restrict__ dw, E* __restrict__ dk, E* __restrict__ dv,
                                     E* __restrict__ da, E* __restrict__ db,
                                     float* __restrict__ ds0, float* __restrict__ scratch) {
  extern __shared__ float smem[];
  const int P = N + 1;
  float* S = smem;         // recomputed state, N×P
  float* dS = S + N * P;   // dL/dS, N×P
  float* vr = dS + N * P;  // this step's vectors
  float* vw = vr + N;
  float* vk = vw + N;
  float* vv = vk + N;
  float* va = vv + N;
  float* vb = va + N;
  float* vdy = vb + N;
  float* vu = vdy + N;      // u = dS b
  float* sa_all = vu + N;   // sa = S_{t-1} a for each step of the chunk, C×N
  const int64_t bh = blockIdx.x;
  const int64_t bi = bh / H, h = bh % H;
  const int i = threadIdx.x;
  const int64_t NN = static_cast<int64_t>(N) * N;
  float* states = scratch + bh * kChunk * NN;

  for (int m = 0; m < N; ++m) dS[m * P + i] = ds_out ? ds_out[bh * NN + m * N + i] : 0.f;
  const int last = (steps + kChunk - 1) / kChunk - 1;
  for (int c = last; c >= 0; --c) {
    const int t0 = c * kChunk;
    const int len = min(kChunk, steps - t0);
    const float* base = ckpt + (bh * n_ckpt + c) * NN;
    __syncthreads();  // the previous chunk's column phase is done with the vectors and sa_all
    for (int m = 0; m < N; ++m) S[m * P + i] = base[m * N + i];
    // Recompute S_{t0+1..t0+len}; thread i updates row i, then stores column i (coalesced).
    for (int tt = 0; tt < len; ++tt) {
      const int64_t o = ((bi * steps + t0 + tt) * H + h) * N;
      vw[i] = to_f(w[o + i]);
      vk[i] = to_f(k[o + i]);
      vv[i] = to_f(v[o + i]);
      va[i] = to_f(a[o + i]);
      vb[i] = to_f(b[o + i]);
      __syncthreads();
      float* row = S + i * P;
      float sa = 0.f;
      for (int j = 0; j < N; ++j) sa += row[j] * va[j];
      sa_all[tt * N + i] = sa;
      const float vi = vv[i];
      for (int j = 0; j < N; ++j) row[j] = row[j] * vw[j] + sa * vb[j] + vi * vk[j];
      __syncthreads();
      float* dst = states + tt * NN;
      for (int m = 0; m < N; ++m) dst[m * N + i] = S[m * P + i];
    }
    for (int tt = len - 1; tt >= 0; --tt) {
      const int64_t o = ((bi * steps + t0 + tt) * H + h) * N;
      __syncthreads();  // the previous column phase is done with dS and the vectors
      vr[i] = to_f(r[o + i]);
      vw[i] = to_f(w[o + i]);
      vk[i] = to_f(k[o + i]);
      vv[i] = to_f(v[o + i]);
      va[i] = to_f(a[o + i]);
      vb[i] = to_f(b[o + i]);
      vdy[i] = dy ? to_f(dy[o + i]) : 0.f;
      __syncthreads();
      // Row phase: dS += dy rᵀ; dv = dS k; u = dS b.
      {
        float* g = dS + i * P;
        const float dyi = vdy[i];
        float acc_v = 0.f, u = 0.f;
        for (int j = 0; j < N; ++j) {
          const float gj = g[j] + dyi * vr[j];
          g[j] = gj;
          acc_v += gj * vk[j];
          u += gj * vb[j];
        }
        dv[o + i] = from_f<E>(acc_v);
        vu[i] = u;
      }
      __syncthreads();
      // Column phase (thread i owns column i): dr = S_tᵀ dy, dk = dSᵀ v, dw = Σ S_{t-1}⊙dS,
      // da = S_{t-1}ᵀ u, db = dSᵀ sa; then dS <- dS diag(w) + u aᵀ.
      {
        const float* prev = tt == 0 ? base : states + (tt - 1) * NN;
        const float* cur = states + tt * NN;
        const float* sa = sa_all + tt * N;
        const float wi = vw[i], ai = va[i];
        float acc_r = 0.f, acc_k = 0.f, acc_w = 0.f, acc_a = 0.f, acc_b = 0.f;
        for (int m = 0; m < N; ++m) {
          const float g = dS[m * P + i];
          const float p = prev[m * N + i];
          acc_r += cur[m * N + i] * vdy[m];
          acc_k += g * vv[m];
          acc_w += p * g;
          acc_a += p * vu[m];
          acc_b += g * sa[m];
          dS[m * P + i] = g * wi + vu[m] * ai;
        }
        dr[o + i] = from_f<E>(acc_r);
        dk[o + i] = from_f<E>(acc_k);
        dw[o + i] = from_f<E>(acc_w);
        da[o + i] = from_f<E>(acc_a);
        db[o + i] = from_f<E>(acc_b);
      }
    }
  }
  __syncthreads();
  for (int m = 0; m < N; ++m) ds0[bh * NN + m * N + i] = dS[m * P + i];
}

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("wkv7 cuda: ") + what + ": " + cudaGetErrorString(err));
}

// Runs on `device` and restores the caller's current device afterwards.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ != device) check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceScope() { cudaSetDevice(previous_); }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = 0;
};

template <typename Kernel>
void allow_shared(Kernel kernel, size_t bytes) {
  if (bytes > 48 * 1024)
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(bytes)),
          "cudaFuncSetAttribute");
}

template <typename E>
void forward_typed(const Wkv7Sizes& sz, const void* r, const void* w, const void* k,
                   const void* v, const void* a, const void* b, const float* s0, void* y,
                   float* s_out, float* ckpt) {
  const int N = static_cast<int>(sz.N);
  const size_t bytes = sizeof(float) * (static_cast<size_t>(N) * (N + 1) + 6 * N);
  auto kernel = wkv7_forward_kernel<E>;
  allow_shared(kernel, bytes);
  kernel<<<static_cast<unsigned>(sz.B * sz.H), N, bytes, 0>>>(
      static_cast<int>(sz.T), static_cast<int>(sz.H), N,
      static_cast<int>(wkv7_cuda_checkpoints(sz.T)), static_cast<const E*>(r),
      static_cast<const E*>(w), static_cast<const E*>(k), static_cast<const E*>(v),
      static_cast<const E*>(a), static_cast<const E*>(b), s0, static_cast<E*>(y), s_out, ckpt);
  check(cudaGetLastError(), "forward launch");
}

template <typename E>
void backward_typed(const Wkv7Sizes& sz, const void* r, const void* w, const void* k,
                    const void* v, const void* a, const void* b, const float* ckpt,
                    const void* dy, const float* ds_out, void* dr, void* dw, void* dk, void* dv,
                    void* da, void* db, float* ds0, float* scratch) {
  const int N = static_cast<int>(sz.N);
  const size_t bytes =
      sizeof(float) * (2 * static_cast<size_t>(N) * (N + 1) + 8 * N + kChunk * N);
  auto kernel = wkv7_backward_kernel<E>;
  allow_shared(kernel, bytes);
  kernel<<<static_cast<unsigned>(sz.B * sz.H), N, bytes, 0>>>(
      static_cast<int>(sz.T), static_cast<int>(sz.H), N,
      static_cast<int>(wkv7_cuda_checkpoints(sz.T)), static_cast<const E*>(r),
      static_cast<const E*>(w), static_cast<const E*>(k), static_cast<const E*>(v),
      static_cast<const E*>(a), static_cast<const E*>(b), ckpt, static_cast<const E*>(dy), ds_out,
      static_cast<E*>(dr), static_cast<E*>(dw), static_cast<E*>(dk), static_cast<E*>(dv),
      static_cast<E*>(da), static_cast<E*>(db), ds0, scratch);
  check(cudaGetLastError(), "backward launch");
}

}  // namespace

int64_t wkv7_cuda_checkpoints(int64_t T) { return (T + kWkv7CudaChunk - 1) / kWkv7CudaChunk; }

int64_t wkv7_cuda_scratch_floats(const Wkv7Sizes& sz) {
  return sz.B * sz.H * kWkv7CudaChunk * sz.N * sz.N;
}

void wkv7_cuda_forward(int device, Wkv7CudaDtype dtype, const Wkv7Sizes& sz, const void* r,
                       const void* w, const void* k, const void* v, const void* a, const void* b,
                       const float* s0, void* y, float* s_out, float* ckpt) {
  DeviceScope scope(device);
  if (dtype == Wkv7CudaDtype::BFloat16)
    forward_typed<__nv_bfloat16>(sz, r, w, k, v, a, b, s0, y, s_out, ckpt);
  else
    forward_typed<float>(sz, r, w, k, v, a, b, s0, y, s_out, ckpt);
}

void wkv7_cuda_backward(int device, Wkv7CudaDtype dtype, const Wkv7Sizes& sz, const void* r,
                        const void* w, const void* k, const void* v, const void* a,
                        const void* b, const float* ckpt, const void* dy, const float* ds_out,
                        void* dr, void* dw, void* dk, void* dv, void* da, void* db, float* ds0,
                        float* scratch) {
  DeviceScope scope(device);
  if (dtype == Wkv7CudaDtype::BFloat16)
    backward_typed<__nv_bfloat16>(sz, r, w, k, v, a, b, ckpt, dy, ds_out, dr, dw, dk, dv, da, db,
                                  ds0, scratch);
  else
    backward_typed<float>(sz, r, w, k, v, a, b, ckpt, dy, ds_out, dr, dw, dk, dv, da, db, ds0,
                          scratch);
}

}  // namespace goose::kernels
