// The switch's participant directory: banks, e-wallet providers and Meeza card
// issuers, who they are, how their customers reach them, and which payee
// identifiers they own (IBAN bank codes, wallet mobile prefixes, card BINs),
// so the switch can route a payment by the identifier alone. The demo
// directory is data (data/ipn/participants.json), compiled in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cairo_time.h"
#include "core/result.h"

namespace lahza::ipn {

enum class ParticipantKind { kBank, kWallet, kCardIssuer };
std::string_view KindName(ParticipantKind kind);  // "bank", "wallet", "card_issuer"

struct Participant {
  std::string code;          // "NBE": short, upper-case, unique; the owner of its ledger accounts
  ParticipantKind kind = ParticipantKind::kBank;
  std::string name_ar;
  std::string name_en;
  std::string hotline;       // customer care, e.g. "19623"
  std::string hours_spec;    // WeeklyHours grammar, Africa/Cairo ("24/7", "sun-thu 08:30-21:00")
  WeeklyHours hours = WeeklyHours::AlwaysOpen();
  std::string settlement_account;  // its account name at the central bank (a ledger account)
  std::vector<std::string> bank_codes;       // 4 digits, as in EG IBANs (after the check digits)
  std::vector<std::string> wallet_prefixes;  // E.164 prefixes, "+2010"
  std::vector<std::string> card_bins;        // leading card digits, "507803"
};

class Directory {
 public:
  // {"participants": [{"code", "kind", "name_ar", "name_en", "hotline", "hours",
  //  "settlement_account", "bank_codes", "wallet_prefixes", "card_bins"}]}.
  // Error ipn.directory_invalid (detail names the entry and field) on a
  // malformed entry, a duplicate code or an identifier range owned twice.
  static Result<Directory> FromJson(std::string_view json);
  // The compiled-in demo directory (data/ipn/participants.json).
  static const Directory& Demo();

  const std::vector<Participant>& participants() const { return participants_; }
  const Participant* Find(std::string_view code) const;
  // Routing by identifier; nullptr when nobody owns it. Prefix lookups take
  // the longest matching prefix.
  const Participant* ByBankCode(std::string_view bank_code) const;
  const Participant* ByWalletMobile(std::string_view e164) const;
  const Participant* ByCardNumber(std::string_view digits) const;

 private:
  std::vector<Participant> participants_;
};

}  // namespace lahza::ipn
