#include "app/pin_cache.h"

#include <algorithm>

namespace lahza::app {

static_assert(crypto_generichash_BYTES == 32, "crypto_verify_32 compares 32-byte MACs");

PinCache::PinCache(int64_t ttl_seconds, size_t max_entries)
    : ttl_seconds_(ttl_seconds), max_entries_(std::max<size_t>(max_entries, 1)) {
  randombytes_buf(key_.data(), key_.size());
}

PinCache::Mac PinCache::MacOf(const std::string& customer_id, std::string_view pin) const {
  // customer id, a separator no id contains, then the PIN.
  std::string message = customer_id;
  message.push_back('\0');
  message.append(pin);
  Mac mac{};
  crypto_generichash(mac.data(), mac.size(), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                     key_.data(), key_.size());
  sodium_memzero(message.data(), message.size());
  return mac;
}

bool PinCache::Matches(const std::string& customer_id, std::string_view pin_hash, std::string_view pin,
                       int64_t now) {
  Mac mac = MacOf(customer_id, pin);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(customer_id);
  if (it == entries_.end()) return false;
  const Entry& entry = it->second;
  if (entry.expires <= now || entry.pin_hash != pin_hash) {
    entries_.erase(it);
    return false;
  }
  return crypto_verify_32(entry.mac.data(), mac.data()) == 0;
}

void PinCache::Remember(const std::string& customer_id, std::string_view pin_hash, std::string_view pin,
                        int64_t now) {
  Entry entry{MacOf(customer_id, pin), std::string(pin_hash), now + ttl_seconds_};
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && !entries_.count(customer_id)) {
    // Full: drop what has expired; if that frees nothing, start over (the
    // cost is one argon2id per customer, not a wrong answer).
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires <= now; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[customer_id] = std::move(entry);
}

void PinCache::Forget(const std::string& customer_id) {
  std::lock_guard lock(mutex_);
  entries_.erase(customer_id);
}

}  // namespace lahza::app
