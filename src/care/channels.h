// Channels: where a customer can get help, which one is open now (Cairo
// time), and what to prepare before calling. The directory is data
// (data/care/channels.json plus the switch's participant directory
// data/ipn/participants.json for bank and wallet hotlines and hours).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "care/triage.h"
#include "core/cairo_time.h"
#include "core/messages.h"

namespace lahza::care {

// A bank, e-wallet or card issuer customers may name.
struct Institution {
  std::string code;     // participant code: "NBE", "VFCASH"
  std::string kind;     // "bank", "wallet", "card_issuer"
  Message name;         // {"البنك الأهلي المصري", "National Bank of Egypt"}
  std::string hotline;  // "19623"
  WeeklyHours hours;
};

// The institution with this participant code, if the directory knows it.
std::optional<Institution> FindInstitution(std::string_view code);
// Every institution in the directory, sorted by code.
std::vector<Institution> AllInstitutions();

struct ChannelOption {
  std::string id;        // "bank_hotline", "app_hotline", "app_report", ...
  std::string kind;      // "hotline", "in_app", "email", "social"
  std::string contact;   // "19623", "support@...", "" for in-app
  std::optional<std::string> institution;  // for bank_hotline
  Message label;         // what to call it, with the number
  Message hours;         // "24/7", "daily 09:00–21:00"
  bool hours_known = true;
  bool open_now = false;
  std::optional<Instant> opens_at;   // next opening when closed now
  std::optional<Instant> closes_at;  // end of the current opening, when it has one
  Message status;        // "Open now until 21:00" / "Closed now; opens Thursday ... 09:00"
  bool news_only = false;  // social pages: never for a personal problem
};

struct Advice {
  Category category = Category::kOther;
  Party party = Party::kAppSupport;
  std::optional<std::string> institution;
  bool urgent = false;
  std::optional<ChannelOption> best_now;  // first suitable channel open at `now`
  std::vector<ChannelOption> options;     // all suitable channels, best first
  std::vector<Message> checklist;         // what to prepare
  Message summary;
};

// Advice for a problem of `category` owned by `party`; `institution` is the
// participant code of the customer's bank or wallet when known (an unknown
// code is treated as not known). Security problems are urgent whatever the
// hour: freeze transfers in the app, then the bank's 24/7 hotline.
Advice Advise(Category category, Party party, const std::optional<std::string>& institution, Instant now);

}  // namespace lahza::care
