// Internal: the features the triage classifier sees. Shared by the runtime
// (triage.cc) and the build-time trainer (tools/triage_train.cc) so both
// read text exactly the same way.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace lahza::care::triage_internal {

// Hashed features of `text` with their values: character 1-4-grams of the
// normalised text (word boundaries marked by spaces), word unigrams and
// bigrams, and a bias. Values are scaled so the vector has unit length.
// Sorted by id, ids unique.
std::vector<std::pair<uint32_t, float>> Features(std::string_view text);

// The class names in model order (== lahza::care::Category order).
inline constexpr const char* kClassNames[] = {
    "registration_activation", "app_error", "how_to", "failed_or_stuck_transfer",
    "money_not_received", "debited_without_completion", "linking_accounts_cards", "limits",
    "security_unusual_activity", "other"};
inline constexpr int kClassCount = 10;

}  // namespace lahza::care::triage_internal
