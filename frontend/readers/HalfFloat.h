// Conversions from the two 16-bit floating-point storage formats found in
// model checkpoints to float: IEEE 754 binary16 ("half", safetensors F16),
// including zeros, subnormals, infinities and NaNs, and bfloat16 (safetensors
// BF16), which is the upper half of a binary32. Both are exact: every value
// of either format is representable as a float. Header-only, no exceptions.
#ifndef XF_FRONTEND_READERS_HALFFLOAT_H
#define XF_FRONTEND_READERS_HALFFLOAT_H

#include <cstdint>
#include <cstring>

namespace xf::readers {

namespace detail {
inline float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
} // namespace detail

// IEEE binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
inline float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) // infinity (mant == 0) or NaN (payload kept, stays a NaN)
    return detail::bitsToFloat(sign | 0x7F800000u | (mant << 13));
  if (exp != 0) // normal: rebias 15 -> 127
    return detail::bitsToFloat(sign | ((exp + 112u) << 23) | (mant << 13));
  if (mant == 0) // signed zero
    return detail::bitsToFloat(sign);
  // Subnormal: value = mant * 2^-24. Shift the leading 1 into the implicit
  // bit position; every shift lowers the exponent by one.
  uint32_t e = 113; // float exponent of 2^-14, the smallest normal half
  while (!(mant & 0x400u)) {
    mant <<= 1;
    --e;
  }
  mant &= 0x3FFu;
  return detail::bitsToFloat(sign | (e << 23) | (mant << 13));
}

// bfloat16: the top 16 bits of an IEEE binary32.
inline float bfloat16ToFloat(uint16_t b) { return detail::bitsToFloat(uint32_t(b) << 16); }

} // namespace xf::readers

#endif // XF_FRONTEND_READERS_HALFFLOAT_H
