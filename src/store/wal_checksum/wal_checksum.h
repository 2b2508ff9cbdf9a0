// SQLite's WAL checksum, computed a block at a time instead of word by word.
//
// SQLite checksums every WAL frame (the page and the frame header's first 8
// bytes) with a Fletcher-like sum over 32-bit words, chained from the frame
// before:
//     for each pair of words (x, y):  s1 += x + s2;  s2 += y + s1;
// Each step needs the one before, so SQLite's loop runs at the latency of
// three additions per 8 bytes: 0.6 µs a 4 KiB page, 7.5 % of the switch
// writer's time at ~90 frames a commit (perf, 2026-11-27).
//
// The step is linear in (s1, s2) modulo 2^32: (s1, s2) after a pair is
// M·(s1, s2) + (x, x + y) with M = [[1, 1], [1, 2]]. So after a block of n
// pairs, (s1, s2) = M^n·(s1, s2)_before + Σ_i M^(n-1-i)·(x_i, x_i + y_i): two
// dot products of the block's words with fixed coefficients, which the
// compiler runs on vector lanes. Same result, bit for bit (the test compares
// it with SQLite's loop on every length), several times faster.
//
// cmake/sqlite.cmake patches the amalgamation's walChecksumBytes to call
// this for native-byte-order input of 512 bytes or more. C linkage: SQLite
// is C.
#ifndef LAHZA_STORE_WAL_CHECKSUM_WAL_CHECKSUM_H_
#define LAHZA_STORE_WAL_CHECKSUM_WAL_CHECKSUM_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Runs SQLite's native-order checksum over `bytes` bytes of `data` (a
// multiple of 8, 32-bit aligned) from (*s1, *s2), leaving the result there.
void lahza_wal_checksum_native(const unsigned char* data, int bytes, uint32_t* s1, uint32_t* s2);

#ifdef __cplusplus
}
#endif

#endif  // LAHZA_STORE_WAL_CHECKSUM_WAL_CHECKSUM_H_
