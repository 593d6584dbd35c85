// The fused CPU selective-scan kernel (see selective_scan_cpu.h). Work item = (batch, block
// of kChannelBlock channels); each keeps its states h[d][n] in a small local array (complex
// states as separate re and im planes) and walks the sequence once. Reductions over channels
// and batch go through per-item partial sums added in a fixed order afterwards, so the thread
// count never changes a result.
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
inline V8 bits_to_float(I8 i) {
  V8 v;
  std::memcpy(&v, &i, sizeof(v));
  return v;
}
inline I8 float_to_bits(V8 v) {
  I8 i;
  std::memcpy(&i, &v, sizeof(i));
  return i;
}

// exp as 2^k · p(r) with r = x − k·ln2, |r| <= ln2/2, a degree-6 Taylor polynomial
// (relative error ~2e-7; exp(0) = 1 exactly). Inputs below −87 give ~1e-38 instead of an
// underflowing 0: λ is "zero" either way.
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
  return p * bits_to_float(bits);
}

// sin x and cos x: x = k·π/2 + r with π/2 in three parts (Cody–Waite; exact products for
// |x| < 1e4), |r| <= π/4, Cephes' minimax polynomials (about 1 ulp), then the quadrant k
// mod 4 swaps and negates them. sin 0 = 0 and cos 0 = 1 exactly.
inline void fast_sincos(V8 x, V8& sin_out, V8& cos_out) {
  const V8 magic = splat(12582912.0f);
  const V8 k = (x * 0.636619772367581343f + magic) - magic;  // round(x·2/π)
  const V8 r = ((x - k * 1.5703125f) - k * 4.837512969970703125e-4f) -
               k * 7.54978995489188216e-8f;
  const V8 z = r * r;
  V8 s = (-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f;
  s = s * z * r + r;
  V8 c = (2.443315711809948e-5f * z - 1.388731625493765e-3f) * z + 4.166664568298827e-2f;
  c = c * z * z - 0.5f * z + 1.0f;
  const I8 q = __builtin_convertvector(k, I8);
  const I8 swap = (q & 1) != 0;
  const V8 s1 = swap ? c : s, c1 = swap ? s : c;
  const I8 sign_bit = I8{} + static_cast<int32_t>(0x80000000u);
  const I8 s_neg = ((q & 2) != 0) & sign_bit, c_neg = (((q + 1) & 2) != 0) & sign_bit;
  sin_out = bits_to_float(float_to_bits(s1) ^ s_neg);
  cos_out = bits_to_float(float_to_bits(c1) ^ c_neg);
}

struct Block {
  int64_t b, blk, d0, nd;
};

Block block_of(const ScanDims& s, int64_t item, int64_t nblk) {
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
// The same for rows of n complex numbers (2n interleaved floats) and planar re/im buffers.
inline void split_rows(const float* src, int64_t rows, int64_t n, float* re, float* im,
                       int64_t np) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i) {
      re[r * np + i] = src[(r * n + i) * 2];
      im[r * np + i] = src[(r * n + i) * 2 + 1];
    }
}
inline void join_rows(const float* re, const float* im, int64_t np, int64_t rows, int64_t n,
                      float* dst) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i) {
      dst[(r * n + i) * 2] = re[r * np + i];
      dst[(r * n + i) * 2 + 1] = im[r * np + i];
    }
}

// B_t or C_t as np floats: the tensor row itself when n == np, else a padded copy.
inline const float* padded_row(const float* row, int64_t n, int64_t np, float* buf) {
  if (n == np) return row;
  std::copy(row, row + n, buf);
  return buf;
}

// Partial sums of one item: dBm and dCm contributions of its channels per (b,t,n[,2]), dA
// and dDskip contributions of its batch row.
struct Partials {
  float* dB;  // (nblk, B, T, N·c)
  float* dC;  // (nblk, B, T, N·c)
  float* dA;  // (B, D, N·c)
  float* dD;  // (B, D)
};

// ---- Real and Signed modes: λ = exp(ΔA) or 2·exp(ΔA) − 1 ----

// kNv > 0 fixes the number of 8-lane groups at compile time; kNv = 0 reads it from s.N.
template <bool kSigned, int kNv>
void forward_items(const ScanDims& s, int64_t begin, int64_t end, const ScanForwardArgs<float>& p) {
  const int64_t T = s.T, D = s.D, N = s.N;
  const int64_t nv = kNv > 0 ? kNv : (N + kLanes - 1) / kLanes, np = nv * kLanes;
  const int64_t nblk = (D + kChannelBlock - 1) / kChannelBlock, nchk = scan_checkpoint_count(T);
  std::vector<float> h(kChannelBlock * np), a(kChannelBlock * np), bbuf(np, 0.0f),
      cbuf(np, 0.0f);
  for (int64_t item = begin; item < end; ++item) {
    const Block k = block_of(s, item, nblk);
    const int64_t hoff = (k.b * D + k.d0) * N;  // (b, d0, 0) in a (B,D,N) tensor
    std::fill(h.begin(), h.end(), 0.0f);
    if (p.h0) copy_rows(p.h0 + hoff, k.nd, N, h.data(), np);
    std::fill(a.begin(), a.end(), 0.0f);
    copy_rows(p.A + k.d0 * N, k.nd, N, a.data(), np);
    for (int64_t t = 0; t < T; ++t) {
      if (p.ckpt && t % kScanChunk == 0)
        copy_rows_back(h.data(), np, k.nd, N,
                       p.ckpt + ((k.b * nchk + t / kScanChunk) * D + k.d0) * N);
      const float* Bt = padded_row(p.Bm + (k.b * T + t) * N, N, np, bbuf.data());
      const float* Ct = padded_row(p.Cm + (k.b * T + t) * N, N, np, cbuf.data());
      for (int64_t dd = 0; dd < k.nd; ++dd) {
        const int64_t d = k.d0 + dd, i = (k.b * T + t) * D + d;
        const float dl = p.delta[i], u = dl * p.x[i];
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
        p.y[i] = hsum(acc) + p.Dskip[d] * p.x[i];
      }
    }
    copy_rows_back(h.data(), np, k.nd, N, p.hT + hoff);
  }
}

template <bool kSigned, int kNv>
void backward_items(const ScanDims& s, int64_t begin, int64_t end,
                    const ScanBackwardArgs<float>& p, const Partials& part) {
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
    if (p.dhT) copy_rows(p.dhT + hoff, k.nd, N, g.data(), np);
    std::fill(a.begin(), a.end(), 0.0f);
    copy_rows(p.A + k.d0 * N, k.nd, N, a.data(), np);
    std::fill(dA_acc.begin(), dA_acc.end(), 0.0f);
    std::fill(dD_acc.begin(), dD_acc.end(), 0.0f);
    for (int64_t c = nchk - 1; c >= 0; --c) {
      const int64_t t0 = c * kScanChunk, len = std::min(kScanChunk, T - t0);
      copy_rows(p.ckpt + ((k.b * nchk + c) * D + k.d0) * N, k.nd, N, hs.data(), np);
      for (int64_t j = 0; j < len; ++j) {
        const int64_t t = t0 + j;
        const float* Bt = padded_row(p.Bm + (k.b * T + t) * N, N, np, bbuf.data());
        for (int64_t dd = 0; dd < k.nd; ++dd) {
          const int64_t i = (k.b * T + t) * D + k.d0 + dd;
          const float dl = p.delta[i], u = dl * p.x[i];
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
        const float* Bt = padded_row(p.Bm + (k.b * T + t) * N, N, np, bbuf.data());
        const float* Ct = padded_row(p.Cm + (k.b * T + t) * N, N, np, cbuf.data());
        std::fill(dBt.begin(), dBt.end(), 0.0f);
        std::fill(dCt.begin(), dCt.end(), 0.0f);
        for (int64_t dd = 0; dd < k.nd; ++dd) {
          const int64_t d = k.d0 + dd, i = (k.b * T + t) * D + d;
          const float dl = p.delta[i], xv = p.x[i], u = dl * xv, dyv = p.dy ? p.dy[i] : 0.0f;
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
          p.dx[i] = dyv * p.Dskip[d] + gb * dl;
          p.ddelta[i] = hsum(sum_za) + gb * xv;
          dD_acc[dd] += dyv * xv;
        }
        const int64_t poff = ((k.blk * B + k.b) * T + t) * N;
        std::copy(dBt.begin(), dBt.begin() + N, part.dB + poff);
        std::copy(dCt.begin(), dCt.begin() + N, part.dC + poff);
      }
    }
    copy_rows_back(g.data(), np, k.nd, N, p.dh0 + hoff);
    copy_rows_back(dA_acc.data(), np, k.nd, N, part.dA + hoff);
    std::copy(dD_acc.begin(), dD_acc.begin() + k.nd, part.dD + k.b * D + k.d0);
  }
}

// ---- Complex mode: λ = exp(Δ·A_re)·(cos(Δ·A_im) + i·sin(Δ·A_im)) ----

// Planar re/im copies of one step's Bm or Cm row (zero padding).
struct ComplexRow {
  std::vector<float> re, im;
  explicit ComplexRow(int64_t np) : re(np, 0.0f), im(np, 0.0f) {}
  void read(const float* row, int64_t n) { split_rows(row, 1, n, re.data(), im.data(), 0); }
};

// One step's λ for one channel, lanes v..v+7.
inline void complex_lambda(float dl, const float* are, const float* aim, V8& lre, V8& lim) {
  const V8 modulus = fast_exp(dl * load(are));
  V8 sn, cs;
  fast_sincos(dl * load(aim), sn, cs);
  lre = modulus * cs;
  lim = modulus * sn;
}

template <int kNv>
void forward_items_complex(const ScanDims& s, int64_t begin, int64_t end,
                           const ScanForwardArgs<float>& p) {
  const int64_t T = s.T, D = s.D, N = s.N, N2 = 2 * N;
  const int64_t nv = kNv > 0 ? kNv : (N + kLanes - 1) / kLanes, np = nv * kLanes;
  const int64_t nblk = (D + kChannelBlock - 1) / kChannelBlock, nchk = scan_checkpoint_count(T);
  const int64_t W = kChannelBlock * np;
  std::vector<float> hre(W), him(W), are(W), aim(W);
  ComplexRow Bt(np), Ct(np);
  for (int64_t item = begin; item < end; ++item) {
    const Block k = block_of(s, item, nblk);
    const int64_t hoff = (k.b * D + k.d0) * N2;  // (b, d0, 0, 0) in a (B,D,N,2) tensor
    std::fill(hre.begin(), hre.end(), 0.0f);
    std::fill(him.begin(), him.end(), 0.0f);
    if (p.h0) split_rows(p.h0 + hoff, k.nd, N, hre.data(), him.data(), np);
    std::fill(are.begin(), are.end(), 0.0f);
    std::fill(aim.begin(), aim.end(), 0.0f);
    split_rows(p.A + k.d0 * N2, k.nd, N, are.data(), aim.data(), np);
    for (int64_t t = 0; t < T; ++t) {
      if (p.ckpt && t % kScanChunk == 0)
        join_rows(hre.data(), him.data(), np, k.nd, N,
                  p.ckpt + ((k.b * nchk + t / kScanChunk) * D + k.d0) * N2);
      Bt.read(p.Bm + (k.b * T + t) * N2, N);
      Ct.read(p.Cm + (k.b * T + t) * N2, N);
      for (int64_t dd = 0; dd < k.nd; ++dd) {
        const int64_t d = k.d0 + dd, i = (k.b * T + t) * D + d;
        const float dl = p.delta[i], u = dl * p.x[i];
        const int64_t o = dd * np;
        V8 acc = splat(0.0f);
        for (int64_t v = 0; v < np; v += kLanes) {
          V8 lre, lim;
          complex_lambda(dl, are.data() + o + v, aim.data() + o + v, lre, lim);
          const V8 hr = load(hre.data() + o + v), hi = load(him.data() + o + v);
          const V8 nr = lre * hr - lim * hi + u * load(Bt.re.data() + v);
          const V8 ni = lre * hi + lim * hr + u * load(Bt.im.data() + v);
          store(hre.data() + o + v, nr);
          store(him.data() + o + v, ni);
          acc += load(Ct.re.data() + v) * nr - load(Ct.im.data() + v) * ni;
        }
        p.y[i] = hsum(acc) + p.Dskip[d] * p.x[i];
      }
    }
    join_rows(hre.data(), him.data(), np, k.nd, N, p.hT + hoff);
  }
}

// Gradients of complex quantities as (∂L/∂re, ∂L/∂im) pairs; with G = gn (of h_t):
//   G(C) = dy·conj(h_t), G(h_{t−1}) = conj(λ)·gn, G(λ) = conj(h_{t−1})·gn,
//   G(Δ·A) = conj(λ)·G(λ), ∂L/∂u = Re(conj(B)·gn), G(B) = u·gn.
template <int kNv>
void backward_items_complex(const ScanDims& s, int64_t begin, int64_t end,
                            const ScanBackwardArgs<float>& p, const Partials& part) {
  const int64_t B = s.B, T = s.T, D = s.D, N = s.N, N2 = 2 * N;
  const int64_t nv = kNv > 0 ? kNv : (N + kLanes - 1) / kLanes, np = nv * kLanes;
  const int64_t nblk = (D + kChannelBlock - 1) / kChannelBlock;
  const int64_t nchk = scan_checkpoint_count(T), W = kChannelBlock * np;
  // hs_*[j] = state entering step t0 + j of the current chunk; l_*[j] = λ of that step.
  std::vector<float> gre(W), gim(W), dAre(W), dAim(W), are(W), aim(W),
      hs_re((kScanChunk + 1) * W, 0.0f), hs_im((kScanChunk + 1) * W, 0.0f),
      l_re(kScanChunk * W), l_im(kScanChunk * W), dBre(np), dBim(np), dCre(np), dCim(np),
      dD_acc(kChannelBlock);
  ComplexRow Bt(np), Ct(np);
  for (int64_t item = begin; item < end; ++item) {
    const Block k = block_of(s, item, nblk);
    const int64_t hoff = (k.b * D + k.d0) * N2;
    std::fill(gre.begin(), gre.end(), 0.0f);
    std::fill(gim.begin(), gim.end(), 0.0f);
    if (p.dhT) split_rows(p.dhT + hoff, k.nd, N, gre.data(), gim.data(), np);
    std::fill(are.begin(), are.end(), 0.0f);
    std::fill(aim.begin(), aim.end(), 0.0f);
    split_rows(p.A + k.d0 * N2, k.nd, N, are.data(), aim.data(), np);
    std::fill(dAre.begin(), dAre.end(), 0.0f);
    std::fill(dAim.begin(), dAim.end(), 0.0f);
    std::fill(dD_acc.begin(), dD_acc.end(), 0.0f);
    for (int64_t c = nchk - 1; c >= 0; --c) {
      const int64_t t0 = c * kScanChunk, len = std::min(kScanChunk, T - t0);
      split_rows(p.ckpt + ((k.b * nchk + c) * D + k.d0) * N2, k.nd, N, hs_re.data(),
                 hs_im.data(), np);
      for (int64_t j = 0; j < len; ++j) {
        const int64_t t = t0 + j;
        Bt.read(p.Bm + (k.b * T + t) * N2, N);
        for (int64_t dd = 0; dd < k.nd; ++dd) {
          const int64_t i = (k.b * T + t) * D + k.d0 + dd;
          const float dl = p.delta[i], u = dl * p.x[i];
          const int64_t o = dd * np, prev = j * W + o, cur = (j + 1) * W + o, lo = j * W + o;
          for (int64_t v = 0; v < np; v += kLanes) {
            V8 lre, lim;
            complex_lambda(dl, are.data() + o + v, aim.data() + o + v, lre, lim);
            store(l_re.data() + lo + v, lre);
            store(l_im.data() + lo + v, lim);
            const V8 hr = load(hs_re.data() + prev + v), hi = load(hs_im.data() + prev + v);
            store(hs_re.data() + cur + v, lre * hr - lim * hi + u * load(Bt.re.data() + v));
            store(hs_im.data() + cur + v, lre * hi + lim * hr + u * load(Bt.im.data() + v));
          }
        }
      }
      for (int64_t j = len - 1; j >= 0; --j) {
        const int64_t t = t0 + j;
        Bt.read(p.Bm + (k.b * T + t) * N2, N);
        Ct.read(p.Cm + (k.b * T + t) * N2, N);
        for (auto* buf : {&dBre, &dBim, &dCre, &dCim}) std::fill(buf->begin(), buf->end(), 0.0f);
        for (int64_t dd = 0; dd < k.nd; ++dd) {
          const int64_t d = k.d0 + dd, i = (k.b * T + t) * D + d;
          const float dl = p.delta[i], xv = p.x[i], u = dl * xv, dyv = p.dy ? p.dy[i] : 0.0f;
          const int64_t o = dd * np, prev = j * W + o, cur = (j + 1) * W + o, lo = j * W + o;
          V8 sum_gb = splat(0.0f), sum_za = splat(0.0f);
          for (int64_t v = 0; v < np; v += kLanes) {
            const V8 cr = load(Ct.re.data() + v), ci = load(Ct.im.data() + v);
            const V8 gr = load(gre.data() + o + v) + dyv * cr;  // G(h_t) with y_t's share
            const V8 gi = load(gim.data() + o + v) - dyv * ci;
            store(dCre.data() + v, load(dCre.data() + v) + dyv * load(hs_re.data() + cur + v));
            store(dCim.data() + v, load(dCim.data() + v) - dyv * load(hs_im.data() + cur + v));
            const V8 pr = load(hs_re.data() + prev + v), pi = load(hs_im.data() + prev + v);
            const V8 lre = load(l_re.data() + lo + v), lim = load(l_im.data() + lo + v);
            const V8 glr = gr * pr + gi * pi, gli = gi * pr - gr * pi;  // G(λ)
            const V8 gzr = glr * lre + gli * lim, gzi = gli * lre - glr * lim;  // G(Δ·A)
            const V8 ar = load(are.data() + o + v), ai = load(aim.data() + o + v);
            sum_za += gzr * ar + gzi * ai;
            store(dAre.data() + o + v, load(dAre.data() + o + v) + gzr * dl);
            store(dAim.data() + o + v, load(dAim.data() + o + v) + gzi * dl);
            const V8 br = load(Bt.re.data() + v), bi = load(Bt.im.data() + v);
            sum_gb += gr * br + gi * bi;
            store(dBre.data() + v, load(dBre.data() + v) + gr * u);
            store(dBim.data() + v, load(dBim.data() + v) + gi * u);
            store(gre.data() + o + v, lre * gr + lim * gi);  // G(h_{t−1})
            store(gim.data() + o + v, lre * gi - lim * gr);
          }
          const float gb = hsum(sum_gb);
          p.dx[i] = dyv * p.Dskip[d] + gb * dl;
          p.ddelta[i] = hsum(sum_za) + gb * xv;
          dD_acc[dd] += dyv * xv;
        }
        const int64_t poff = ((k.blk * B + k.b) * T + t) * N2;
        join_rows(dBre.data(), dBim.data(), np, 1, N, part.dB + poff);
        join_rows(dCre.data(), dCim.data(), np, 1, N, part.dC + poff);
      }
    }
    join_rows(gre.data(), gim.data(), np, k.nd, N, p.dh0 + hoff);
    join_rows(dAre.data(), dAim.data(), np, k.nd, N, part.dA + hoff);
    std::copy(dD_acc.begin(), dD_acc.begin() + k.nd, part.dD + k.b * D + k.d0);
  }
}

// Calls f with a tag std::pair<integral_constant<ScanMode, mode>, integral_constant<int, kNv>>:
// N in 9..16 (the models use 16) gets two 8-lane groups as a constant, any other N a runtime
// bound.
template <ScanMode M, int V>
using Tag = std::pair<std::integral_constant<ScanMode, M>, std::integral_constant<int, V>>;

template <typename F>
void dispatch(const ScanDims& s, F&& f) {
  const bool n16 = s.N > 8 && s.N <= 16;
  switch (s.mode) {
    case ScanMode::Real:
      return n16 ? f(Tag<ScanMode::Real, 2>()) : f(Tag<ScanMode::Real, 0>());
    case ScanMode::Signed:
      return n16 ? f(Tag<ScanMode::Signed, 2>()) : f(Tag<ScanMode::Signed, 0>());
    case ScanMode::Complex:
      return n16 ? f(Tag<ScanMode::Complex, 2>()) : f(Tag<ScanMode::Complex, 0>());
  }
}

}  // namespace

void selective_scan_cpu_forward(const ScanDims& s, const ScanForwardArgs<float>& p) {
  const int64_t nblk = (s.D + kChannelBlock - 1) / kChannelBlock;
  auto items = [&](auto tag) {
    constexpr ScanMode kMode = decltype(tag)::first_type::value;
    constexpr int kNv = decltype(tag)::second_type::value;
    at::parallel_for(0, s.B * nblk, 1, [&](int64_t begin, int64_t end) {
      if constexpr (kMode == ScanMode::Complex)
        forward_items_complex<kNv>(s, begin, end, p);
      else
        forward_items<kMode == ScanMode::Signed, kNv>(s, begin, end, p);
    });
  };
  dispatch(s, items);
}

void selective_scan_cpu_backward(const ScanDims& s, const ScanBackwardArgs<float>& p) {
  const int64_t B = s.B, T = s.T, D = s.D, NC = s.N * scan_components(s.mode);
  const int64_t nblk = (D + kChannelBlock - 1) / kChannelBlock;
  std::vector<float> pB(nblk * B * T * NC), pC(nblk * B * T * NC), pA(B * D * NC), pD(B * D);
  const Partials part{pB.data(), pC.data(), pA.data(), pD.data()};
  auto items = [&](auto tag) {
    constexpr ScanMode kMode = decltype(tag)::first_type::value;
    constexpr int kNv = decltype(tag)::second_type::value;
    at::parallel_for(0, B * nblk, 1, [&](int64_t begin, int64_t end) {
      if constexpr (kMode == ScanMode::Complex)
        backward_items_complex<kNv>(s, begin, end, p, part);
      else
        backward_items<kMode == ScanMode::Signed, kNv>(s, begin, end, p, part);
    });
  };
  dispatch(s, items);
  // Fixed-order sums of the partials (over channel blocks, then over batch rows).
  const int64_t btn = B * T * NC;
  at::parallel_for(0, btn, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float sb = 0.0f, sc = 0.0f;
      for (int64_t blk = 0; blk < nblk; ++blk) {
        sb += pB[blk * btn + i];
        sc += pC[blk * btn + i];
      }
      p.dBm[i] = sb;
      p.dCm[i] = sc;
    }
  });
  for (int64_t i = 0; i < D * NC; ++i) {
    float sa = 0.0f;
    for (int64_t b = 0; b < B; ++b) sa += pA[b * D * NC + i];
    p.dA[i] = sa;
  }
  for (int64_t d = 0; d < D; ++d) {
    float sd = 0.0f;
    for (int64_t b = 0; b < B; ++b) sd += pD[b * D + d];
    p.dDskip[d] = sd;
  }
}

}  // namespace goose::kernels
