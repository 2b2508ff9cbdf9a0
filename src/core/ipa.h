// The instant payment address (IPA), "name@instapay": the alias a person
// shares instead of an account number. Rules, chosen to be unambiguous when
// read aloud or typed on a phone:
//   - the name is 3 to 32 characters of a-z, 0-9, '.', '_' and '-';
//   - it starts with a letter and ends with a letter or digit;
//   - no two separators ('.', '_', '-') in a row ("a..b" is a typo magnet);
//   - case-insensitive: stored and shown in lowercase;
//   - the domain, when written, must be "instapay".
// The bare name ("mona.ali") is accepted and means "mona.ali@instapay": the
// send-money screen shows the domain already, so people often type only the
// name, and there is no other domain it could mean.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace lahza {

class Ipa {
 public:
  static constexpr size_t kMinNameLength = 3;
  static constexpr size_t kMaxNameLength = 32;
  static constexpr std::string_view kDomain = "instapay";

  // Errors: ipa.empty, ipa.invalid_domain, ipa.too_short, ipa.too_long,
  // ipa.invalid_character, ipa.must_start_with_letter, ipa.invalid_ending,
  // ipa.consecutive_separators.
  static Result<Ipa> Parse(std::string_view text);

  const std::string& name() const { return name_; }               // "mona.ali"
  std::string address() const { return name_ + "@" + std::string(kDomain); }  // "mona.ali@instapay"

  friend bool operator==(const Ipa& a, const Ipa& b) { return a.name_ == b.name_; }

 private:
  Ipa() = default;
  std::string name_;
};

}  // namespace lahza
