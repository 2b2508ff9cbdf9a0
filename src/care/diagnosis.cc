// Diagnosis: the switch's view of a transaction turned into an answer a
// customer can read. The switch is the truth; nothing here guesses a state.
#include "care/diagnosis.h"

#include <nlohmann/json.hpp>

#include "core/money.h"
#include "ipn/switch.h"

namespace lahza::care {

namespace {

Instant FromMs(int64_t ms) { return Instant(std::chrono::seconds(ms / 1000)); }

// When the transaction last entered `state`, from its timeline.
std::optional<Instant> WhenEntered(const ipn::TransactionView& view, ipn::TransferState state) {
  std::optional<Instant> at;
  for (const ipn::TimelineEntry& entry : view.timeline) {
    if (entry.state == state) at = FromMs(entry.at_ms);
  }
  return at;
}

std::optional<Instant> FirstDebit(const ipn::TransactionView& view) {
  for (const ipn::TimelineEntry& entry : view.timeline) {
    if (entry.state == ipn::TransferState::kDebited || entry.state == ipn::TransferState::kTimedOutAfterDebit) {
      return FromMs(entry.at_ms);
    }
  }
  return std::nullopt;
}

// The catalogue entry `code` with placeholders filled per language.
struct Filler {
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> values;
  void Set(std::string key, std::string ar, std::string en) {
    values.emplace_back(std::move(key), std::make_pair(std::move(ar), std::move(en)));
  }
  void Time(std::string key, Instant t) {
    Set(std::move(key), FormatCairoDateTime(t, Language::kArabic), FormatCairoDateTime(t, Language::kEnglish));
  }
  // Every value in one pass per language: none is read for placeholders.
  Message Fill(std::string_view code) const {
    std::vector<std::pair<std::string_view, std::string_view>> ar, en;
    ar.reserve(values.size());
    en.reserve(values.size());
    for (const auto& [key, value] : values) {
      ar.emplace_back(key, value.first);
      en.emplace_back(key, value.second);
    }
    Message m = MessageFor(code);
    return Message{FormatText(m.ar, ar), FormatText(m.en, en)};
  }
};

bool Owns(const ipn::TransactionView& view, std::string_view customer_id, std::string_view mobile) {
  if (!customer_id.empty() && view.user_id == customer_id) return true;
  // A payee is known to the switch by identifier; a mobile-addressed payment
  // (mobile or wallet) to the customer's own number is theirs to ask about.
  if (mobile.empty()) return false;
  bool by_mobile = view.payee_kind == ipn::PayeeKind::kMobile || view.payee_kind == ipn::PayeeKind::kWallet;
  return by_mobile && view.payee_identifier == mobile;
}

}  // namespace

std::string_view ToString(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCompleted: return "completed";
    case Outcome::kPending: return "pending";
    case Outcome::kReversed: return "reversed";
    case Outcome::kFailed: return "failed";
    case Outcome::kDebitedOpen: return "debited_open";
    case Outcome::kNotFound: return "not_found";
  }
  return "not_found";
}

struct Diagnoser::Impl {
  ipn::Switch& network;
  const Clock& clock;

  Diagnosis Explain(const ipn::TransactionView& view, bool reconciled) const {
    Diagnosis d;
    d.reconciled_now = reconciled;
    d.amount_piastres = view.amount;
    d.payer_bank = view.payer_participant;
    d.payee_bank = view.payee_participant;
    d.state = std::string(ipn::StateName(view.state));
    d.initiated_at = FromMs(view.created_ms);
    d.payee_masked = view.payee_masked_name_en.empty() ? view.payee_masked_name_ar : view.payee_masked_name_en;

    Filler f;
    Money amount = Money::FromPiastres(view.amount);
    f.Set("amount", amount.ToArabic(), amount.ToEnglish());
    f.Set("ir", view.ir, view.ir);
    f.Set("payee", view.payee_masked_name_ar.empty() ? view.payee_masked_name_en : view.payee_masked_name_ar,
          view.payee_masked_name_en.empty() ? view.payee_masked_name_ar : view.payee_masked_name_en);
    const ipn::Participant* payer = network.directory().Find(view.payer_participant);
    if (payer != nullptr) {
      f.Set("bank", payer->name_ar, payer->name_en);
    } else {
      f.Set("bank", view.payer_participant, view.payer_participant);
    }
    f.Time("initiated", *d.initiated_at);
    if (view.hold_expires_ms > 0) d.deadline = FromMs(view.hold_expires_ms);

    switch (view.state) {
      case ipn::TransferState::kCompleted: {
        d.outcome = Outcome::kCompleted;
        d.final = true;
        d.completed_at = WhenEntered(view, ipn::TransferState::kCompleted).value_or(FromMs(view.updated_ms));
        f.Time("time", *d.completed_at);
        d.explanation = f.Fill("care.diagnosis.completed");
        d.deadline.reset();
        break;
      }
      case ipn::TransferState::kReversed: {
        d.outcome = Outcome::kReversed;
        d.final = true;
        d.reversed_at = WhenEntered(view, ipn::TransferState::kReversed).value_or(FromMs(view.updated_ms));
        f.Time("time", *d.reversed_at);
        d.explanation = f.Fill("care.diagnosis.reversed");
        d.deadline.reset();
        break;
      }
      case ipn::TransferState::kRejected:
      case ipn::TransferState::kFailed: {
        d.outcome = Outcome::kFailed;
        d.final = true;
        Message reason = MessageFor(view.error_code.empty() ? "care.diagnosis.no_reason" : view.error_code);
        f.Set("reason", reason.ar, reason.en);
        d.explanation = f.Fill("care.diagnosis.failed");
        d.deadline.reset();
        break;
      }
      case ipn::TransferState::kTimedOutAfterDebit: {
        d.outcome = Outcome::kDebitedOpen;
        f.Time("time", FirstDebit(view).value_or(*d.initiated_at));
        f.Time("deadline", d.deadline.value_or(*d.initiated_at));
        d.explanation = f.Fill("care.diagnosis.debited_open");
        break;
      }
      case ipn::TransferState::kDisputed: {
        d.outcome = Outcome::kPending;
        d.explanation = f.Fill("care.diagnosis.disputed");
        d.deadline.reset();
        break;
      }
      case ipn::TransferState::kInitiated:
      case ipn::TransferState::kDebited:
      case ipn::TransferState::kCredited: {
        d.outcome = Outcome::kPending;
        f.Time("deadline", d.deadline.value_or(clock.Now()));
        d.explanation = f.Fill(d.deadline ? "care.diagnosis.pending" : "care.diagnosis.pending_no_deadline");
        break;
      }
    }
    return d;
  }
};

Diagnoser::Diagnoser(ipn::Switch& network, const Clock& clock)
    : impl_(std::make_unique<Impl>(Impl{network, clock})) {}
Diagnoser::~Diagnoser() = default;

Result<Diagnosis> Diagnoser::Diagnose(std::string_view ir_reference, std::string_view customer_id,
                                      std::string_view customer_mobile) {
  auto not_found = [&] {
    Diagnosis d;
    d.outcome = Outcome::kNotFound;
    Filler f;
    f.Set("ir", std::string(ir_reference), std::string(ir_reference));
    d.explanation = f.Fill("care.diagnosis.not_found");
    return d;
  };
  auto view = impl_->network.GetTransaction(ir_reference);
  if (!view.ok()) {
    const std::string& code = view.error().code;
    if (code == "ipn.transaction_not_found" || code.rfind("ir.", 0) == 0) return not_found();
    return view.error();
  }
  // Someone else's transaction looks exactly like one that does not exist.
  if (!Owns(*view, customer_id, customer_mobile)) return not_found();
  bool reconciled = false;
  if (!ipn::IsFinal(view->state) && view->state != ipn::TransferState::kDisputed) {
    // Debited and unanswered, or stuck in flight: ask the institutions now
    // rather than waiting for the next scheduled pass, so the customer gets
    // the outcome in this answer. Reconcile covers every stuck transfer,
    // this one included; an institution still unreachable leaves it open.
    auto report = impl_->network.Reconcile();
    if (!report.ok()) return report.error();
    reconciled = true;
    view = impl_->network.GetTransaction(ir_reference);
    if (!view.ok()) return view.error();
  }
  return impl_->Explain(*view, reconciled);
}

Result<std::string> Diagnoser::TransactionJson(std::string_view ir_reference) {
  auto view = impl_->network.GetTransaction(ir_reference);
  if (!view.ok()) return view.error();
  nlohmann::json timeline = nlohmann::json::array();
  for (const ipn::TimelineEntry& e : view->timeline) {
    timeline.push_back({{"seq", e.seq},
                        {"at", FormatCairoIso(FromMs(e.at_ms))},
                        {"at_ms", e.at_ms},
                        {"state", ipn::StateName(e.state)},
                        {"event", e.event},
                        {"actor", e.actor},
                        {"detail", e.detail}});
  }
  nlohmann::json out = {{"ir", view->ir},
                        {"state", ipn::StateName(view->state)},
                        {"error_code", view->error_code},
                        {"amount_piastres", view->amount},
                        {"fee_piastres", view->fee},
                        {"channel", view->channel},
                        {"payer_participant", view->payer_participant},
                        {"payer_account", view->payer_account},
                        {"payee_kind", ipn::PayeeKindName(view->payee_kind)},
                        {"payee_identifier", view->payee_identifier},
                        {"payee_participant", view->payee_participant},
                        {"payee_masked_name_ar", view->payee_masked_name_ar},
                        {"payee_masked_name_en", view->payee_masked_name_en},
                        {"created_at", FormatCairoIso(FromMs(view->created_ms))},
                        {"updated_at", FormatCairoIso(FromMs(view->updated_ms))},
                        {"timeline", timeline}};
  if (view->hold_expires_ms > 0) out["hold_expires_at"] = FormatCairoIso(FromMs(view->hold_expires_ms));
  return out.dump();
}

bool Diagnoser::KnownParticipant(std::string_view code) const {
  return impl_->network.directory().Find(code) != nullptr;
}

}  // namespace lahza::care
