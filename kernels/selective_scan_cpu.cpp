// The fused CPU selective-scan kernel (see selective_scan_cpu.h). Work item = (batch, block
// of kChannelBlock channels); each keeps its states h[d][n] in a small local array and walks
// the sequence once. Reductions over channels and batch go through per-item partial sums
// added in a fixed order afterwards, so the thread count never changes a result.
#include "kernels/selective_scan_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>

namespace goose::kernels {
namespace {

// Fixed (not thread-dependent) so that partial sums are always formed the same way.
constexpr int64_t kChannelBlock = 16;

// Eight-lane float vectors (GCC/Clang vector extensions): the compiler's auto-vectoriser
// left these loops scalar, so the lanes are explicit. N is padded to a multiple of 8 in the
// local buffers with A = B = C = h = 0 in the padding (λ = 1 there and h stays 0).
typedef float V8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));
constexpr int64_t kLanes = 8;

inline V8 load(const float* p) {
  V8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store(float* p, V8 v) { std::memcpy(p, &v, sizeof(v)); }
inline V8 splat(float f) { return V8{} + f; }
inline float hsum(V8 v) {  // fixed order: deterministic
  float sum = 0.0f;
  for (int l = 0; l < kLanes; ++l) sum += v[l];
  return sum;
}

// exp as 2^k · p(r) with r = x − k·ln2, |r| <= ln2/2, a degree-6 Taylor polynomial
// (relative error ~2e-7). Inputs below −87 give ~1e-38 instead of an underflowing 0: λ is
// "zero" either way.
inline V8 fast_exp(V8 x) {
  const V8 lo = splat(-87.0f), hi = splat(88.0f), magic = splat(12582912.0f);  // 1.5·2^23
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const V8 k = (x * 1.44269504088896341f + magic) - magic;  // round to nearest
  const V8 r = x - k * 0.693359375f + k * 2.12194440e-4f;   // ln2 split in two parts
  V8 p = splat(1.0f / 720.0f);
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const I8 bits = (__builtin_convertvector(k, I8) + 127) << 23;
  V8 scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

struct Block {
  int64_t b, blk, d0, nd;
};

Block block_of(const ScanShape& s, int64_t item, int64_t nblk) {
  Block k;
  k.b = item / nblk;
  k.blk = item % nblk;
  k.d0 = k.blk * kChannelBlock;
  k.nd = std::min(kChannelBlock, s.D - k.d0);
  return k;
}

// Copies rows of n floats from src (row stride n) into dst (row stride np), padding kept.
inline void copy_rows(const float* src, int64_t rows, int64_t n, float* dst, int64_t np) {
  for (int64_t r = 0; r < rows; ++r) std::copy(src + r * n, src + (r + 1) * n, dst + r * np);
}
inline void copy_rows_back(const float* src, int64_t np, int64_t rows, int64_t n, float* dst) {
  for (int64_t r = 0; r < rows; ++r) std::copy(src + r * np, src + r * np + n, dst + r * n);
}

// B_t or C_t as np floats: the tensor row itself when n == np, else a padded copy.
inline const float* padded_row(const float* row, int64_t n, int64_t np, float* buf) {
  if (n == np) return row;
  std::copy(row, row + n, buf);
  return buf;
}

// kNv > 0 fixes the number of 8-lane groups at compile time; kNv = 0 reads it from s.N.
template <bool kSigned, int kNv>
void forward_items(const ScanShape& s, int64_t begin, int64_t end, const float* x,
                   const float* delta, const float* A, const float* Bm, const float* Cm,
                   const float* Dskip, const float* h0, float* y, float* hT, float* ckpt) {
  const int64_t T = s.T, D = s.D, N = s.N;
  const int64_t nv = kNv > 0 ? kNv : (N + kLanes - 1) / kLanes, np = nv * kLanes;
  const int64_t nblk = (D + kChannelBlock - 1) / kChannelBlock, nchk = scan_checkpoint_count(T);
  std::vector<float> h(kChannelBlock * np), a(kChannelBlock * np), bbuf(np, 0.0f),
      cbuf(np, 0.0f);
  for (int64_t item = begin; item < end; ++item) {
    const Block k = block_of(s, item, nblk);
    const int64_t hoff = (k.b * D + k.d0) * N;  // (b, d0, 0) in a (B,D,N) tensor
    std::fill(h.begin(), h.end(), 0.0f);
    if (h0) copy_rows(h0 + hoff, k.nd, N, h.data(), np);
    std::fill(a.begin(), a.end(), 0.0f);
    copy_rows(A + k.d0 * N, k.nd, N, a.data(), np);
    for (int64_t t = 0; t < T; ++t) {
      if (ckpt && t % kScanChunk == 0)
        copy_rows_back(h.data(), np, k.nd, N,
                       ckpt + ((k.b * nchk + t / kScanChunk) * D + k.d0) * N);
      const float* Bt = padded_row(Bm + (k.b * T + t) * N, N, np, bbuf.data());
      const float* Ct = padded_row(Cm + (k.b * T + t) * N, N, np, cbuf.data());
      for (int64_t dd = 0; dd < k.nd; ++dd) {
        const int64_t d = k.d0 + dd, i = (k.b * T + t) * D + d;
        const float dl = delta[i], u = dl * x[i];
        float* hd = h.data() + dd * np;
        const float* ad = a.data() + dd * np;
        V8 acc = splat(0.0f);
        for (int64_t v = 0; v < np; v += kLanes) {
          const V8 e = fast_exp(dl * load(ad + v));
          const V8 lambda = kSigned ? 2.0f * e - 1.0f : e;
          const V8 hv = lambda * load(hd + v) + u * load(Bt + v);
          store(hd + v, hv);
          acc += load(Ct + v) * hv;
        }
        y[i] = hsum(acc) + Dskip[d] * x[i];
      }
    }
    copy_rows_back(h.data(), np, k.nd, N, hT + hoff);
  }
}

// Partial sums of one item: dBm and dCm contributions of its channels per (b,t,n), dA and
// dDskip contributions of its batch row.
struct Partials {
  float* dB;  // (nblk, B, T, N)
  float* dC;  // (nblk, B, T, N)
  float* dA;  // (B, D, N)
  float* dD;  // (B, D)
};

template <bool kSigned, int kNv>
void backward_items(const ScanShape& s, int64_t begin, int64_t end, const float* x,
                    const float* delta, const float* A, const float* Bm, const float* Cm,
                    const float* Dskip, const float* ckpt, const float* dy, const float* dhT,
                    float* dx, float* ddelta, float* dh0, const Partials& part) {
  const int64_t B = s.B, T = s.T, D = s.D, N = s.N;
  const int64_t nv = kNv > 0 ? kNv : (N + kLanes - 1) / kLanes, np = nv * kLanes;
  const int64_t nblk = (D + kChannelBlock - 1) / kChannelBlock;
  const int64_t nchk = scan_checkpoint_count(T), W = kChannelBlock * np;
  // hs[j] = state entering step t0 + j of the current chunk; es[j] = exp(Δ·A) of that step.
  std::vector<float> g(W), dA_acc(W), a(W), hs((kScanChunk + 1) * W, 0.0f), es(kScanChunk * W),
      bbuf(np, 0.0f), cbuf(np, 0.0f), dBt(np), dCt(np), dD_acc(kChannelBlock);
  for (int64_t item = begin; item < end; ++item) {
    const Block k = block_of(s, item, nblk);
    const int64_t hoff = (k.b * D + k.d0) * N;
    std::fill(g.begin(), g.end(), 0.0f);
    if (dhT) copy_rows(dhT + hoff, k.nd, N, g.data(), np);
    std::fill(a.begin(), a.end(), 0.0f);
    copy_rows(A + k.d0 * N, k.nd, N, a.data(), np);
    std::fill(dA_acc.begin(), dA_acc.end(), 0.0f);
    std::fill(dD_acc.begin(), dD_acc.end(), 0.0f);
    for (int64_t c = nchk - 1; c >= 0; --c) {
      const int64_t t0 = c * kScanChunk, len = std::min(kScanChunk, T - t0);
      copy_rows(ckpt + ((k.b * nchk + c) * D + k.d0) * N, k.nd, N, hs.data(), np);
      for (int64_t j = 0; j < len; ++j) {
        const int64_t t = t0 + j;
        const float* Bt = padded_row(Bm + (k.b * T + t) * N, N, np, bbuf.data());
        for (int64_t dd = 0; dd < k.nd; ++dd) {
          const int64_t i = (k.b * T + t) * D + k.d0 + dd;
          const float dl = delta[i], u = dl * x[i];
          const float* ad = a.data() + dd * np;
          const float* hp = hs.data() + j * W + dd * np;
          float* hc = hs.data() + (j + 1) * W + dd * np;
          float* ed = es.data() + j * W + dd * np;
          for (int64_t v = 0; v < np; v += kLanes) {
            const V8 e = fast_exp(dl * load(ad + v));
            store(ed + v, e);
            store(hc + v, (kSigned ? 2.0f * e - 1.0f : e) * load(hp + v) + u * load(Bt + v));
          }
        }
      }
      // Step back through the chunk; g holds ∂L/∂h_t on entry to step t.
      for (int64_t j = len - 1; j >= 0; --j) {
        const int64_t t = t0 + j;
        const float* Bt = padded_row(Bm + (k.b * T + t) * N, N, np, bbuf.data());
        const float* Ct = padded_row(Cm + (k.b * T + t) * N, N, np, cbuf.data());
        std::fill(dBt.begin(), dBt.end(), 0.0f);
        std::fill(dCt.begin(), dCt.end(), 0.0f);
        for (int64_t dd = 0; dd < k.nd; ++dd) {
          const int64_t d = k.d0 + dd, i = (k.b * T + t) * D + d;
          const float dl = delta[i], xv = x[i], u = dl * xv, dyv = dy ? dy[i] : 0.0f;
          const float* ad = a.data() + dd * np;
          const float* hp = hs.data() + j * W + dd * np;
          const float* hc = hs.data() + (j + 1) * W + dd * np;
          const float* ed = es.data() + j * W + dd * np;
          float* gd = g.data() + dd * np;
          float* dAd = dA_acc.data() + dd * np;
          V8 sum_gb = splat(0.0f), sum_za = splat(0.0f);
          for (int64_t v = 0; v < np; v += kLanes) {
            const V8 gn = load(gd + v) + dyv * load(Ct + v);
            store(dCt.data() + v, load(dCt.data() + v) + dyv * load(hc + v));
            const V8 e = load(ed + v);
            const V8 dz = gn * load(hp + v) * (kSigned ? 2.0f * e : e);  // ∂L/∂(Δ·A)
            sum_za += dz * load(ad + v);
            store(dAd + v, load(dAd + v) + dz * dl);
            sum_gb += gn * load(Bt + v);
            store(dBt.data() + v, load(dBt.data() + v) + gn * u);
            store(gd + v, gn * (kSigned ? 2.0f * e - 1.0f : e));
          }
          const float gb = hsum(sum_gb);
          dx[i] = dyv * Dskip[d] + gb * dl;
          ddelta[i] = hsum(sum_za) + gb * xv;
          dD_acc[dd] += dyv * xv;
        }
        const int64_t poff = ((k.blk * B + k.b) * T + t) * N;
        std::copy(dBt.begin(), dBt.begin() + N, part.dB + poff);
        std::copy(dCt.begin(), dCt.begin() + N, part.dC + poff);
      }
    }
    copy_rows_back(g.data(), np, k.nd, N, dh0 + hoff);
    copy_rows_back(dA_acc.data(), np, k.nd, N, part.dA + hoff);
    std::copy(dD_acc.begin(), dD_acc.begin() + k.nd, part.dD + k.b * D + k.d0);
  }
}

// Calls f with a std::pair<bool_constant<signed>, integral_constant<int, kNv>> tag: N in
// 9..16 (the models use 16) gets two 8-lane groups as a constant, any other N a runtime bound.
template <typename F>
void dispatch(const ScanShape& s, F&& f) {
  using Unsigned = std::false_type;
  using Signed = std::true_type;
  using N16 = std::integral_constant<int, 2>;
  using AnyN = std::integral_constant<int, 0>;
  if (s.N > 8 && s.N <= 16) {
    if (s.signed_decay)
      f(std::pair<Signed, N16>());
    else
      f(std::pair<Unsigned, N16>());
  } else {
    if (s.signed_decay)
      f(std::pair<Signed, AnyN>());
    else
      f(std::pair<Unsigned, AnyN>());
  }
}

}  // namespace

void selective_scan_cpu_forward(const ScanShape& s, const float* x, const float* delta,
                                const float* A, const float* Bm, const float* Cm,
                                const float* Dskip, const float* h0, float* y, float* hT,
                                float* ckpt) {
  const int64_t nblk = (s.D + kChannelBlock - 1) / kChannelBlock;
  auto items = [&](auto kind) {
    constexpr bool kSigned = decltype(kind)::first_type::value;
    constexpr int kNv = decltype(kind)::second_type::value;
    at::parallel_for(0, s.B * nblk, 1, [&](int64_t begin, int64_t end) {
      forward_items<kSigned, kNv>(s, begin, end, x, delta, A, Bm, Cm, Dskip, h0, y, hT, ckpt);
    });
  };
  dispatch(s, items);
}

void selective_scan_cpu_backward(const ScanShape& s, const float* x, const float* delta,
                                 const float* A, const float* Bm, const float* Cm,
                                 const float* Dskip, const float* ckpt, const float* dy,
                                 const float* dhT, float* dx, float* ddelta, float* dA,
                                 float* dBm, float* dCm, float* dDskip, float* dh0) {
  const int64_t B = s.B, T = s.T, D = s.D, N = s.N;
  const int64_t nblk = (D + kChannelBlock - 1) / kChannelBlock;
  std::vector<float> pB(nblk * B * T * N), pC(nblk * B * T * N), pA(B * D * N), pD(B * D);
  const Partials part{pB.data(), pC.data(), pA.data(), pD.data()};
  auto items = [&](auto kind) {
    constexpr bool kSigned = decltype(kind)::first_type::value;
    constexpr int kNv = decltype(kind)::second_type::value;
    at::parallel_for(0, B * nblk, 1, [&](int64_t begin, int64_t end) {
      backward_items<kSigned, kNv>(s, begin, end, x, delta, A, Bm, Cm, Dskip, ckpt, dy, dhT, dx,
                                  ddelta, dh0, part);
    });
  };
  dispatch(s, items);
  // Fixed-order sums of the partials (over channel blocks, then over batch rows).
  const int64_t btn = B * T * N;
  at::parallel_for(0, btn, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float sb = 0.0f, sc = 0.0f;
      for (int64_t blk = 0; blk < nblk; ++blk) {
        sb += pB[blk * btn + i];
        sc += pC[blk * btn + i];
      }
      dBm[i] = sb;
      dCm[i] = sc;
    }
  });
  for (int64_t i = 0; i < D * N; ++i) {
    float sa = 0.0f;
    for (int64_t b = 0; b < B; ++b) sa += pA[b * D * N + i];
    dA[i] = sa;
  }
  for (int64_t d = 0; d < D; ++d) {
    float sd = 0.0f;
    for (int64_t b = 0; b < B; ++b) sd += pD[b * D + d];
    dDskip[d] = sd;
  }
}

}  // namespace goose::kernels
