// See wal_checksum.h for the algebra.
#include "store/wal_checksum/wal_checksum.h"

#include <array>
#include <cstring>

namespace {

// A symmetric 2x2 matrix [[p, q], [q, r]] over the integers modulo 2^32.
// Every power of M = [[1, 1], [1, 2]] is one, and such powers commute.
struct Power {
  uint32_t p, q, r;
};

constexpr Power Times(Power a, Power b) {
  return {a.p * b.p + a.q * b.q, a.p * b.q + a.q * b.r, a.q * b.q + a.r * b.r};
}

constexpr Power kStep = {1, 1, 2};                  // M
constexpr int kPairsPerBlock = 64;                  // 512 bytes
constexpr int kWordsPerBlock = 2 * kPairsPerBlock;  // 128 words of 32 bits

// Per word of a block, what it adds to s1 and to s2. Pair i is followed by
// k = n-1-i more steps, so it adds M^k·(x, x + y):
//   to s1: (p_k + q_k)·x + q_k·y      to s2: (q_k + r_k)·x + r_k·y
struct Coefficients {
  std::array<uint32_t, kWordsPerBlock> to_s1{}, to_s2{};
  Power whole_block{};  // M^n: how (s1, s2) before the block carry through it
};

constexpr Coefficients MakeCoefficients() {
  Coefficients c;
  Power power = {1, 0, 1};  // M^0
  for (int k = 0; k < kPairsPerBlock; ++k) {
    int pair = kPairsPerBlock - 1 - k;
    c.to_s1[2 * pair] = power.p + power.q;
    c.to_s1[2 * pair + 1] = power.q;
    c.to_s2[2 * pair] = power.q + power.r;
    c.to_s2[2 * pair + 1] = power.r;
    power = Times(power, kStep);
  }
  c.whole_block = power;
  return c;
}

constexpr Coefficients kCoefficients = MakeCoefficients();

// Eight 32-bit lanes; GCC uses AVX2 where the clone below has it and pairs
// of SSE2 registers otherwise.
typedef uint32_t Lanes __attribute__((vector_size(32)));
constexpr int kLanes = 8;
static_assert(kWordsPerBlock % kLanes == 0);

inline __attribute__((always_inline)) uint32_t SumLanes(const Lanes& v) {
  uint32_t sum = 0;
  for (int i = 0; i < kLanes; ++i) sum += v[i];
  return sum;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define LAHZA_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LAHZA_CLONES
#endif

LAHZA_CLONES void Blocks(const unsigned char* data, int blocks, uint32_t* s1_io, uint32_t* s2_io) {
  uint32_t s1 = *s1_io, s2 = *s2_io;
  const Power& carry = kCoefficients.whole_block;
  for (int block = 0; block < blocks; ++block, data += 4 * kWordsPerBlock) {
    Lanes to_s1 = {}, to_s2 = {};
    for (int j = 0; j < kWordsPerBlock; j += kLanes) {
      Lanes words, c1, c2;
      std::memcpy(&words, data + 4 * j, sizeof words);
      std::memcpy(&c1, &kCoefficients.to_s1[j], sizeof c1);
      std::memcpy(&c2, &kCoefficients.to_s2[j], sizeof c2);
      to_s1 += words * c1;
      to_s2 += words * c2;
    }
    uint32_t next_s1 = carry.p * s1 + carry.q * s2 + SumLanes(to_s1);
    uint32_t next_s2 = carry.q * s1 + carry.r * s2 + SumLanes(to_s2);
    s1 = next_s1;
    s2 = next_s2;
  }
  *s1_io = s1;
  *s2_io = s2;
}

}  // namespace

extern "C" void lahza_wal_checksum_native(const unsigned char* data, int bytes, uint32_t* s1, uint32_t* s2) {
  int blocks = bytes / (4 * kWordsPerBlock);
  Blocks(data, blocks, s1, s2);
  // The tail, word pair by word pair, as SQLite does.
  uint32_t a = *s1, b = *s2;
  for (int offset = blocks * 4 * kWordsPerBlock; offset + 8 <= bytes; offset += 8) {
    uint32_t x, y;
    std::memcpy(&x, data + offset, 4);
    std::memcpy(&y, data + offset + 4, 4);
    a += x + b;
    b += y + a;
  }
  *s1 = a;
  *s2 = b;
}
