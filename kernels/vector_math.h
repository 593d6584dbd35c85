// Branch-free fp32 exp and sigmoid for the CPU kernels' element-wise chains: inline, so that
// loops under `#pragma omp simd` vectorise them (glibc's expf does not vectorise without
// -ffast-math). Torch-free. Exports fast_exp(), fast_sigmoid().
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>

namespace goose::kernels {

// e^x for fp32 x: Cody–Waite reduction x = n·ln2 + r (|r| <= ln2/2) and Cephes' degree-7
// polynomial for e^r, scaled by 2^n through the exponent bits. Within 2 ulp of the correctly
// rounded result where it is a normal float (x in [-87.33, 88.72]; tests/kernels/
// rwkv7_mix_test.cpp measures it), denormal down to x = -103.97 (ln 2^-150), 0 below, +inf
// above 88.72, NaN for NaN.
inline float fast_exp(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer
  constexpr float kLow = -103.972077f, kHigh = 88.7228394f;
  float xc = x < kLow ? kLow : (x > kHigh ? kHigh : x);
  xc = xc != xc ? 0.0f : xc;  // NaN: any finite value here, the result is NaN below
  const float n = (xc * kLog2e + kRound) - kRound;
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n for n in [-150, 128] as 2^(n/2)·2^(n−n/2), both factors normal floats; a denormal
  // result is rounded once, by the last multiplication.
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t half = ni / 2;
  const int32_t bits1 = (half + 127) << 23, bits2 = (ni - half + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &bits1, sizeof s1);
  std::memcpy(&s2, &bits2, sizeof s2);
  float result = p * s1 * s2;
  result = x < kLow ? 0.0f : result;
  result = x > kHigh ? std::numeric_limits<float>::infinity() : result;
  return x != x ? x : result;
}

// 1 / (1 + e^{−x}): 0 for x below −88.7, 1 above 17 (to rounding).
inline float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

}  // namespace goose::kernels
