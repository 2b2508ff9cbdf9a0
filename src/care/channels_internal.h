// Internal to triage/channels: the name variants people use for each
// institution, normalised with care/arabic.h (from data/care/channels.json).
#pragma once

#include <string>
#include <vector>

namespace lahza::care::channels_internal {

struct Alias {
  std::string normalised;  // NormaliseText(alias)
  std::string code;        // participant code
};

// Longest aliases first, so "بنك قطر الوطني الأهلي" wins over "الأهلي".
const std::vector<Alias>& InstitutionAliases();

}  // namespace lahza::care::channels_internal
