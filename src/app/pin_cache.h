// Remembers, for a short while, that a customer's PIN was verified — so a
// customer confirming a run of payments pays the argon2id cost once, not per
// payment. Internal to the app.
//
// Why it is safe: what is kept is a keyed BLAKE2b MAC of (customer, PIN) under
// a random key that lives only in this process's memory, bound to the stored
// argon2id string it was checked against (a PIN change or reset makes every
// entry for that customer stale) and to an expiry. A wrong PIN never matches
// an entry, so it always goes to argon2id and is counted towards the lockout
// as before; a locked customer is refused before the cache is asked. At rest
// nothing changes: the database holds only the argon2id hash. (Someone able to
// read this process's memory could test the 10^6 PINs against a MAC quickly —
// but could equally read session tokens; the argon2id cost protects the
// database, not a running process.)
//
// Why it matters: at libsodium's interactive cost (2 passes over 64 MiB,
// what `lahza serve` uses) one verification is tens of milliseconds of CPU
// and 64 MiB of memory, which alone would cap payments at a few dozen a
// second on two cores.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lahza::app {

class PinCache {
 public:
  PinCache(int64_t ttl_seconds, size_t max_entries);

  // True when (customer, pin) was remembered against this same `pin_hash`
  // and has not expired.
  bool Matches(const std::string& customer_id, std::string_view pin_hash, std::string_view pin, int64_t now);
  // After argon2id said yes.
  void Remember(const std::string& customer_id, std::string_view pin_hash, std::string_view pin, int64_t now);
  void Forget(const std::string& customer_id);

 private:
  using Mac = std::array<unsigned char, crypto_generichash_BYTES>;
  struct Entry {
    Mac mac{};
    std::string pin_hash;
    int64_t expires = 0;
  };
  Mac MacOf(const std::string& customer_id, std::string_view pin) const;

  const int64_t ttl_seconds_;
  const size_t max_entries_;
  std::array<unsigned char, crypto_generichash_KEYBYTES> key_{};
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace lahza::app
