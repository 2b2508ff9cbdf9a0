// LocalInstitution: a participant's customer accounts (store) and money
// (ledger), in process. The switch only reaches it through Institution.
//
// Each money operation claims a row in ipn_inst_ops before touching the
// ledger and moves it by compare-and-set afterwards. That row is what makes
// the inquiries decisive: QueryCredit/CancelDebit either find the operation
// (and finish or undo it) or plant a fence so it can never happen later —
// the property the switch's reconciliation relies on to reverse safely.
#include <algorithm>

#include "core/card.h"
#include "core/iban.h"
#include "core/mobile.h"
#include "ipn/institution.h"
#include "ipn/internal.h"
#include "ipn/participants.h"
#include "ledger/ledger.h"

namespace lahza::ipn {

using internal::V;

ParticipantAccounts AccountsOf(int64_t number) {
  int64_t base = internal::kAccountBase + number * 100;
  return ParticipantAccounts{base + 1, base + 2, base + 3, base + 4};
}

namespace {

constexpr std::string_view kAccountColumns =
    "participant, account_number, iban, card_number, name_ar, name_en, mobile, status, ledger_id";

AccountInfo ToAccount(const store::Row& row) {
  AccountInfo a;
  a.participant = store::AsText(row[0]);
  a.account_number = store::AsText(row[1]);
  a.iban = store::IsNull(row[2]) ? "" : store::AsText(row[2]);
  a.card_number = store::IsNull(row[3]) ? "" : store::AsText(row[3]);
  a.name_ar = store::AsText(row[4]);
  a.name_en = store::AsText(row[5]);
  a.mobile = store::AsText(row[6]);
  a.status = store::AsText(row[7]) == "open" ? AccountStatus::kOpen : AccountStatus::kClosed;
  a.ledger_account = store::AsInt(row[8]);
  return a;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The Egyptian IBAN of a bank account: EG, check digits, bank code, branch
// "0001" (the demo banks have one branch), the account number in 17 digits.
std::string MakeIban(const std::string& bank_code, const std::string& account_number) {
  std::string bban = bank_code + "0001" + std::string(17 - account_number.size(), '0') + account_number;
  int check = 98 - IbanMod97("EG00" + bban);
  std::string digits = (check < 10 ? "0" : "") + std::to_string(check);
  return "EG" + digits + bban;
}

class Local final : public LocalInstitution {
 public:
  Local(const Participant& participant, int64_t number, store::Store& store, ledger::Ledger& ledger)
      : participant_(participant), accounts_(AccountsOf(number)), store_(store), ledger_(ledger) {}

  const std::string& code() const override { return participant_.code; }

  Result<AccountInfo> Lookup(const AccountKey& key) override {
    std::string column;
    switch (key.kind) {
      case AccountKeyKind::kAccountNumber: column = "account_number"; break;
      case AccountKeyKind::kIban: column = "iban"; break;
      case AccountKeyKind::kCardNumber: column = "card_number"; break;
      case AccountKeyKind::kMobile: column = "mobile"; break;
    }
    std::string sql = "SELECT " + std::string(kAccountColumns) + " FROM ipn_accounts WHERE participant = $1 AND " +
                      column + " = $2 ORDER BY account_number LIMIT 1";
    std::vector<store::Value> params{V(participant_.code), V(key.value)};
    auto rows = store_.Execute(sql, params, store::Mode::kRead);
    if (!rows.ok()) return rows.error();
    if (rows->rows.empty()) return Error("ipn.account_not_found", participant_.code + " has no such account");
    return ToAccount(rows->rows[0]);
  }

  Status DebitHold(const DebitOrder& order) override {
    auto account = Lookup({AccountKeyKind::kAccountNumber, order.account_number});
    if (!account.ok()) return account.error();
    if (account->status != AccountStatus::kOpen) return Error("ipn.payer_account_closed", order.account_number);
    std::string op = order.ir + "/debit";
    auto claimed = Claim(op, order.account_number, account->ledger_account, order.amount, order.fee);
    if (!claimed.ok()) return claimed.error();
    if (*claimed == "held" || *claimed == "posted") return {};  // a retry of a debit that happened
    if (*claimed != "claimed") return Error("ipn.debit_fenced", op + " is " + *claimed);

    std::vector<ledger::Transfer> holds;
    holds.push_back(HoldTransfer(order.ir + "/hold", account->ledger_account, accounts_.clearing, order.amount,
                                 internal::kTransferHold, order));
    if (order.fee > 0) {
      holds.push_back(HoldTransfer(order.ir + "/fee", account->ledger_account, accounts_.fees, order.fee,
                                   internal::kTransferFeeHold, order));
    }
    auto results = ledger_.CreateTransfers(holds);
    if (!results.ok()) return results.error();  // nothing applied; the claim stays and CancelDebit cleans it up
    ledger::TransferCode failed = ledger::TransferCode::kOk;
    for (const auto& r : *results) {
      if (!r.ok()) failed = r.code;
    }
    if (failed != ledger::TransferCode::kOk) {
      // One of the two holds failed (e.g. enough for the amount but not the
      // fee): release whatever was held, then report the first failure.
      LAHZA_TRY(VoidHolds(order.ir));
      LAHZA_TRY(Move(op, {"claimed"}, "failed"));
      if (failed == ledger::TransferCode::kExceedsCredits) return Error("ipn.insufficient_funds", order.ir);
      return ledger::ToError(failed);
    }
    auto moved = Move(op, {"claimed"}, "held");
    if (!moved.ok()) {
      // CancelDebit fenced the operation while the holds were in flight: it
      // may have found nothing to void, so undo them here.
      LAHZA_TRY(VoidHolds(order.ir));
      return Error("ipn.debit_fenced", op);
    }
    return {};
  }

  Status PostHold(std::string_view ir) override {
    std::string op = std::string(ir) + "/debit";
    std::vector<ledger::Transfer> posts{Resolve(std::string(ir) + "/post", std::string(ir) + "/hold",
                                                ledger::transfer_flags::kPostPending),
                                        Resolve(std::string(ir) + "/fee-post", std::string(ir) + "/fee",
                                                ledger::transfer_flags::kPostPending)};
    auto results = ledger_.CreateTransfers(posts);
    if (!results.ok()) return results.error();
    const auto& principal = (*results)[0];
    if (!principal.ok()) {
      if (principal.code == ledger::TransferCode::kPendingTransferExpired) return Error("ipn.hold_expired", op);
      if (principal.code == ledger::TransferCode::kPendingTransferAlreadyVoided) return Error("ipn.hold_voided", op);
      return ledger::ToError(principal.code);
    }
    // No fee hold exists for a fee-free transfer: that post finds nothing.
    const auto& fee = (*results)[1];
    if (!fee.ok() && fee.code != ledger::TransferCode::kPendingTransferNotFound) return ledger::ToError(fee.code);
    auto moved = Move(op, {"held", "posted"}, "posted");
    if (!moved.ok() && moved.error().code != "ipn.op_state") return moved.error();
    return {};
  }

  Status VoidHold(std::string_view ir) override {
    std::string op = std::string(ir) + "/debit";
    LAHZA_TRY(VoidHolds(std::string(ir)));
    auto moved = Move(op, {"held", "claimed", "voided"}, "voided");
    if (!moved.ok() && moved.error().code != "ipn.op_state") return moved.error();
    return {};
  }

  Result<bool> CancelDebit(std::string_view ir) override {
    std::string op = std::string(ir) + "/debit";
    // A fence if nothing was claimed; otherwise learn where the debit stands.
    auto status = Fence(op, "cancelled");
    if (!status.ok()) return status.error();
    if (*status == "cancelled" || *status == "failed") return true;
    if (*status == "posted") return false;
    if (*status == "voided") return true;
    // "claimed" (in flight or abandoned) or "held": stop it and release.
    auto moved = Move(op, {"claimed", "held"}, "cancelled");
    if (!moved.ok()) {
      if (moved.error().code != "ipn.op_state") return moved.error();
      return CancelDebit(ir);  // it moved meanwhile (posted or voided): look again
    }
    auto voided = VoidHolds(std::string(ir));
    if (!voided.ok()) {
      if (voided.error().code != "ipn.hold_posted") return voided.error();
      // PostHold won the race: record the truth.
      auto fixed = Move(op, {"cancelled"}, "posted");
      if (!fixed.ok() && fixed.error().code != "ipn.op_state") return fixed.error();
      return false;
    }
    return true;
  }

  Result<AccountInfo> Credit(const CreditOrder& order) override {
    auto account = Lookup(order.payee);
    if (!account.ok()) return account.error();
    if (account->status != AccountStatus::kOpen) return Error("ipn.account_closed", account->account_number);
    if (!order.expected_name.empty()) {
      std::string expected = internal::NormaliseName(order.expected_name);
      if (expected != internal::NormaliseName(account->name_en) &&
          expected != internal::NormaliseName(account->name_ar)) {
        return Error("ipn.name_mismatch", account->account_number);
      }
    }
    std::string op = order.ir + "/credit";
    auto claimed = Claim(op, account->account_number, account->ledger_account, order.amount, 0);
    if (!claimed.ok()) return claimed.error();
    if (*claimed == "credited") return *account;
    if (*claimed != "claimed") return Error("ipn.credit_fenced", op + " is " + *claimed);
    auto done = ApplyCredit(op, order.ir, account->ledger_account, order.amount);
    if (!done.ok()) return done.error();
    if (!*done) return Error("ipn.credit_fenced", op);
    return *account;
  }

  Result<CreditStatus> QueryCredit(std::string_view ir) override {
    std::string op = std::string(ir) + "/credit";
    auto status = Fence(op, "fenced");
    if (!status.ok()) return status.error();
    if (*status == "credited") return CreditStatus::kCredited;
    if (*status != "claimed") return CreditStatus::kNotCredited;
    // Claimed but not finished: the credit is ours to complete (same ledger
    // id, so it cannot land twice), then the answer is definite.
    auto claimed = ReadOp(op);
    if (!claimed.ok()) return claimed.error();
    auto done = ApplyCredit(op, std::string(ir), claimed->ledger_id, claimed->amount);
    if (!done.ok()) return done.error();
    return *done ? CreditStatus::kCredited : CreditStatus::kNotCredited;
  }

  Status ReturnCredit(std::string_view ir) override {
    auto op = ReadOp(std::string(ir) + "/credit");
    if (!op.ok()) return op.error();
    if (op->status != "credited") return Error("ipn.invalid_state", "no credit to return for " + std::string(ir));
    ledger::Transfer t;
    t.id = std::string(ir) + "/return";
    t.debit_account_id = op->ledger_id;
    t.credit_account_id = accounts_.clearing;
    t.amount = op->amount;
    t.code = internal::kTransferReturn;
    t.user_data = std::string(ir);
    auto r = ApplyOne(t);
    if (!r.ok()) return r.error();
    if (r->code == ledger::TransferCode::kExceedsCredits) return Error("ipn.reversal_insufficient_funds", op->account);
    if (!r->ok()) return ledger::ToError(r->code);
    return {};
  }

  Status Refund(std::string_view ir) override {
    auto op = ReadOp(std::string(ir) + "/debit");
    if (!op.ok()) return op.error();
    // A debit that was never posted (voided, cancelled, expired) left the
    // payer's money where it was: nothing to give back.
    if (op->status == "voided" || op->status == "cancelled" || op->status == "failed") return {};
    if (op->status == "held" || op->status == "claimed") {
      // Undecided (e.g. its hold expired): settle it now, one way or the other.
      auto freed = CancelDebit(ir);
      if (!freed.ok()) return freed.error();
      if (*freed) return {};
      op->status = "posted";
    }
    if (op->status != "posted") return Error("ipn.invalid_state", "no posted debit to refund for " + std::string(ir));
    std::vector<ledger::Transfer> refunds;
    ledger::Transfer t;
    t.id = std::string(ir) + "/refund";
    t.debit_account_id = accounts_.clearing;
    t.credit_account_id = op->ledger_id;
    t.amount = op->amount;
    t.code = internal::kTransferRefund;
    t.user_data = std::string(ir);
    refunds.push_back(t);
    if (op->fee > 0) {
      t.id = std::string(ir) + "/refund-fee";
      t.debit_account_id = accounts_.fees;
      t.amount = op->fee;
      refunds.push_back(t);
    }
    auto results = ledger_.CreateTransfers(refunds);
    if (!results.ok()) return results.error();
    for (const auto& r : *results) {
      if (!r.ok()) return ledger::ToError(r.code);
    }
    return {};
  }

  Result<AccountInfo> OpenAccount(const NewAccount& request) override {
    if (request.name_ar.empty() || request.name_en.empty()) return Error("ipn.name_required");
    auto mobile = MobileNumber::Parse(request.mobile);
    if (!mobile.ok()) return mobile.error();
    if (request.opening_balance < 0) return Error("ipn.amount_invalid", "opening balance");
    AccountInfo a;
    a.participant = participant_.code;
    a.name_ar = request.name_ar;
    a.name_en = request.name_en;
    a.mobile = mobile->e164();
    a.account_number = request.account_number;
    switch (participant_.kind) {
      case ParticipantKind::kWallet:
        // A wallet is its mobile number.
        a.account_number = mobile->national();
        if (!request.account_number.empty() && request.account_number != a.account_number) {
          return Error("ipn.account_number_invalid", "a wallet's number is its mobile number");
        }
        break;
      case ParticipantKind::kBank:
        if (!AllDigits(a.account_number) || a.account_number.size() > 17) {
          return Error("ipn.account_number_invalid", "bank account numbers are 1-17 digits");
        }
        if (!participant_.bank_codes.empty()) a.iban = MakeIban(participant_.bank_codes.front(), a.account_number);
        break;
      case ParticipantKind::kCardIssuer:
        if (a.account_number.empty() || a.account_number.size() > 34) {
          return Error("ipn.account_number_invalid", "1-34 characters");
        }
        break;
    }
    if (!request.card_number.empty()) {
      auto card = CardNumber::Parse(request.card_number);
      if (!card.ok()) return card.error();
      a.card_number = card->digits();
    }
    // The ledger account first (its id from our counter): an orphan account
    // after a failed insert below is harmless, an account row without its
    // ledger account would not be.
    auto id = internal::WithWrite(store_, [&](store::Transaction& tx) -> Result<int64_t> {
      std::vector<store::Value> p{V("customer_account")};
      auto ins = tx.Execute("INSERT INTO ipn_counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING", p);
      if (!ins.ok()) return ins.error();
      auto up = tx.Execute("UPDATE ipn_counters SET value = value + 1 WHERE name = $1", p);
      if (!up.ok()) return up.error();
      auto rows = tx.Execute("SELECT value FROM ipn_counters WHERE name = $1", p);
      if (!rows.ok()) return rows.error();
      return store::AsInt(rows->rows.at(0).at(0));
    });
    if (!id.ok()) return id.error();
    a.ledger_account = internal::kCustomerBase + *id;
    ledger::Account account;
    account.id = a.ledger_account;
    account.code = internal::kCodeCustomer;
    account.owner = participant_.code;
    account.flags = ledger::account_flags::kDebitsMustNotExceedCredits;
    account.user_data = participant_.code + ":" + a.account_number;
    if (account.user_data.size() > ledger::kMaxUserDataBytes) account.user_data.resize(ledger::kMaxUserDataBytes);
    auto created = ledger_.CreateAccounts(std::span<const ledger::Account>(&account, 1));
    if (!created.ok()) return created.error();
    if (!(*created)[0].ok()) return ledger::ToError((*created)[0].code);

    std::vector<store::Value> row{V(a.participant), V(a.account_number),
                                  a.iban.empty() ? store::Value(store::Null{}) : V(a.iban),
                                  a.card_number.empty() ? store::Value(store::Null{}) : V(a.card_number),
                                  V(a.name_ar), V(a.name_en), V(a.mobile), V("open"), V(a.ledger_account),
                                  V(internal::NowMs())};
    auto inserted = store_.Execute(
        "INSERT INTO ipn_accounts (participant, account_number, iban, card_number, name_ar, name_en, mobile, status, "
        "ledger_id, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        row);
    if (!inserted.ok()) {
      if (inserted.error().code == "store.conflict") return Error("ipn.account_exists", a.account_number);
      return inserted.error();
    }
    if (request.opening_balance > 0) {
      ledger::Transfer t;
      t.id = "ipn/open/" + std::to_string(a.ledger_account);
      t.debit_account_id = accounts_.funding;
      t.credit_account_id = a.ledger_account;
      t.amount = request.opening_balance;
      t.code = internal::kTransferOpening;
      auto r = ApplyOne(t);
      if (!r.ok()) return r.error();
      if (!r->ok()) return ledger::ToError(r->code);
    }
    return a;
  }

  Status SetStatus(const std::string& account_number, AccountStatus status) override {
    auto r = store_.Execute("UPDATE ipn_accounts SET status = $1 WHERE participant = $2 AND account_number = $3",
                            std::vector<store::Value>{V(status == AccountStatus::kOpen ? "open" : "closed"),
                                                      V(participant_.code), V(account_number)});
    if (!r.ok()) return r.error();
    if (r->affected == 0) return Error("ipn.account_not_found", account_number);
    return {};
  }

  Result<int64_t> Available(const std::string& account_number) override {
    auto account = Lookup({AccountKeyKind::kAccountNumber, account_number});
    if (!account.ok()) return account.error();
    auto found = ledger_.LookupAccount(account->ledger_account);
    if (!found.ok()) return found.error();
    if (!found->has_value()) return Error("ipn.account_not_found", "no ledger account");
    return (*found)->available();
  }

 private:
  ledger::Transfer HoldTransfer(std::string id, int64_t from, int64_t to, int64_t amount, int64_t code,
                                const DebitOrder& order) {
    ledger::Transfer t;
    t.id = std::move(id);
    t.debit_account_id = from;
    t.credit_account_id = to;
    t.amount = amount;
    t.flags = ledger::transfer_flags::kPending;
    t.timeout_seconds = order.hold_timeout_seconds;
    t.code = code;
    t.user_data = order.ir;
    return t;
  }

  static ledger::Transfer Resolve(std::string id, std::string pending_id, uint32_t flag) {
    ledger::Transfer t;
    t.id = std::move(id);
    t.pending_id = std::move(pending_id);
    t.flags = flag;
    t.code = flag == ledger::transfer_flags::kPostPending ? internal::kTransferPost : internal::kTransferVoid;
    return t;
  }

  Result<ledger::TransferResult> ApplyOne(const ledger::Transfer& t) {
    auto results = ledger_.CreateTransfers(std::span<const ledger::Transfer>(&t, 1));
    if (!results.ok()) return results.error();
    return (*results)[0];
  }

  // Voids both holds of `ir`; a hold that does not exist, expired or was
  // already voided is fine (the money is free). ipn.hold_posted when the
  // principal was posted meanwhile.
  Status VoidHolds(const std::string& ir) {
    std::vector<ledger::Transfer> voids{Resolve(ir + "/void", ir + "/hold", ledger::transfer_flags::kVoidPending),
                                        Resolve(ir + "/fee-void", ir + "/fee", ledger::transfer_flags::kVoidPending)};
    auto results = ledger_.CreateTransfers(voids);
    if (!results.ok()) return results.error();
    for (const auto& r : *results) {
      switch (r.code) {
        case ledger::TransferCode::kOk:
        case ledger::TransferCode::kPendingTransferNotFound:
        case ledger::TransferCode::kPendingTransferAlreadyVoided:
        case ledger::TransferCode::kPendingTransferExpired:
          break;
        case ledger::TransferCode::kPendingTransferAlreadyPosted:
          return Error("ipn.hold_posted", ir);
        default:
          return ledger::ToError(r.code);
      }
    }
    return {};
  }

  struct Op {
    std::string status;
    std::string account;
    int64_t ledger_id = 0;
    int64_t amount = 0;
    int64_t fee = 0;
  };
  Result<Op> ReadOp(const std::string& op) {
    auto rows = store_.Execute(
        "SELECT status, account_number, ledger_id, amount, fee FROM ipn_inst_ops WHERE participant = $1 AND op_id = $2",
        std::vector<store::Value>{V(participant_.code), V(op)}, store::Mode::kRead);
    if (!rows.ok()) return rows.error();
    if (rows->rows.empty()) return Error("ipn.invalid_state", "no record of " + op);
    const auto& r = rows->rows[0];
    return Op{store::AsText(r[0]), store::AsText(r[1]), store::AsInt(r[2]), store::AsInt(r[3]), store::AsInt(r[4])};
  }

  // Inserts the operation as "claimed" unless it exists; returns its status.
  Result<std::string> Claim(const std::string& op, const std::string& account, int64_t ledger_id, int64_t amount,
                            int64_t fee) {
    return InsertOrRead(op, "claimed", account, ledger_id, amount, fee);
  }
  Result<std::string> Fence(const std::string& op, const std::string& status) {
    return InsertOrRead(op, status, "", 0, 0, 0);
  }
  Result<std::string> InsertOrRead(const std::string& op, const std::string& status, const std::string& account,
                                   int64_t ledger_id, int64_t amount, int64_t fee) {
    return internal::WithWrite(store_, [&](store::Transaction& tx) -> Result<std::string> {
      std::vector<store::Value> p{V(participant_.code), V(op), V(status), V(account), V(ledger_id), V(amount),
                                  V(fee), V(internal::NowMs())};
      auto ins = tx.Execute(
          "INSERT INTO ipn_inst_ops (participant, op_id, status, account_number, ledger_id, amount, fee, updated_ms) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (participant, op_id) DO NOTHING",
          p);
      if (!ins.ok()) return ins.error();
      auto rows = tx.Execute("SELECT status FROM ipn_inst_ops WHERE participant = $1 AND op_id = $2",
                             std::span<const store::Value>(p.data(), 2));
      if (!rows.ok()) return rows.error();
      return store::AsText(rows->rows.at(0).at(0));
    });
  }

  // Compare-and-set of an operation's status; ipn.op_state when it was in
  // none of `from`.
  Status Move(const std::string& op, std::initializer_list<std::string_view> from, std::string_view to) {
    for (std::string_view f : from) {
      auto r = store_.Execute(
          "UPDATE ipn_inst_ops SET status = $1, updated_ms = $2 WHERE participant = $3 AND op_id = $4 AND status = $5",
          std::vector<store::Value>{V(to), V(internal::NowMs()), V(participant_.code), V(op), V(f)});
      if (!r.ok()) return r.error();
      if (r->affected > 0) return {};
    }
    return Error("ipn.op_state", op);
  }

  // The credit in the ledger (idempotent by id), then claimed -> credited.
  // False when the operation was fenced meanwhile or the ledger refused.
  Result<bool> ApplyCredit(const std::string& op, const std::string& ir, int64_t ledger_id, int64_t amount) {
    ledger::Transfer t;
    t.id = ir + "/credit";
    t.debit_account_id = accounts_.clearing;
    t.credit_account_id = ledger_id;
    t.amount = amount;
    t.code = internal::kTransferCredit;
    t.user_data = ir;
    auto r = ApplyOne(t);
    if (!r.ok()) return r.error();
    if (!r->ok()) {
      LAHZA_TRY(Move(op, {"claimed"}, "failed"));
      return false;
    }
    auto moved = Move(op, {"claimed", "credited"}, "credited");
    if (!moved.ok()) return moved.error();
    return true;
  }

  Participant participant_;
  ParticipantAccounts accounts_;
  store::Store& store_;
  ledger::Ledger& ledger_;
};

}  // namespace

std::unique_ptr<LocalInstitution> MakeLocalInstitution(const Participant& participant, int64_t participant_number,
                                                       store::Store& store, ledger::Ledger& ledger) {
  return std::make_unique<Local>(participant, participant_number, store, ledger);
}

}  // namespace lahza::ipn
