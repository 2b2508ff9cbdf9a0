// LocalInstitution: a participant's customer accounts (store) and money
// (ledger), in process. The switch only reaches it through Institution.
//
// Every money operation is a ledger transfer whose id is derived from the IR
// ("<IR>/hold", "<IR>/credit", ...). The ledger decides an id at most once,
// failures included, which makes the inquiries decisive: QueryCredit and
// CancelDebit submit a transfer the ledger must refuse (a "fence") under the
// operation's id. Either the real operation got there first (the fence is
// refused as a different transfer with that id, and we look at what
// happened), or the fence did and the operation can never happen later —
// the property the switch's reconciliation relies on to reverse safely.
#include <algorithm>

#include "core/ascii.h"
#include "core/card.h"
#include "core/iban.h"
#include "core/mobile.h"
#include "ipn/institution.h"
#include "ipn/internal.h"
#include "ipn/participants.h"
#include "ledger/ledger.h"

namespace lahza::ipn {

using internal::V;

int64_t ParticipantAccounts::Named(std::string_view name) const {
  if (name == "settlement") return settlement;
  if (name == "clearing") return clearing;
  if (name == "fees") return fees;
  if (name == "funding") return funding;
  return 0;
}

ParticipantAccounts AccountsOf(int64_t number) {
  int64_t base = internal::kAccountBase + number * 100;
  return ParticipantAccounts{base + 1, base + 2, base + 3, base + 4};
}

namespace {

constexpr std::string_view kAccountColumns =
    "participant, account_number, iban, card_number, name_ar, name_en, mobile, status, ledger_id";

std::string LookupSql(std::string_view column) {
  return "SELECT " + std::string(kAccountColumns) + " FROM ipn_accounts WHERE participant = $1 AND " +
         std::string(column) + " = $2 ORDER BY account_number LIMIT 1";
}

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
    auto reads = store_.Begin(store::Mode::kRead);
    if (!reads.ok()) return reads.error();
    return Lookup(key, **reads);
  }

  Result<AccountInfo> Lookup(const AccountKey& key, store::Transaction& reads) override {
    std::vector<store::Value> params{V(participant_.code), V(key.value)};
    auto rows = reads.Execute(internal::AccountLookupSql(key.kind), params);
    if (!rows.ok()) return rows.error();
    if (rows->rows.empty()) return Error("ipn.account_not_found", participant_.code + " has no such account");
    return ToAccount(rows->rows[0]);
  }

  Status DebitHold(const DebitOrder& order) override {
    auto account = Lookup({AccountKeyKind::kAccountNumber, order.account_number});
    if (!account.ok()) return account.error();
    if (account->status != AccountStatus::kOpen) return Error("ipn.payer_account_closed", order.account_number);
    auto results = ledger_.CreateTransfers(HoldTransfers(order, account->ledger_account));
    if (!results.ok()) return results.error();  // nothing applied
    ledger::TransferCode failed = ledger::TransferCode::kOk;
    for (const auto& r : *results) {
      if (!r.ok() && failed == ledger::TransferCode::kOk) failed = r.code;
    }
    if (failed == ledger::TransferCode::kOk) return {};
    // One of the two holds failed (e.g. enough for the amount but not the
    // fee): release whatever was held, then report the first failure.
    LAHZA_TRY(VoidHolds(order.ir));
    if (failed == ledger::TransferCode::kExceedsCredits) return Error("ipn.insufficient_funds", order.ir);
    // The id was decided before with other fields: CancelDebit's fence.
    if (failed == ledger::TransferCode::kExistsWithDifferentFields) return Error("ipn.debit_fenced", order.ir);
    return ledger::ToError(failed);
  }

  Status PostHold(std::string_view ir) override {
    auto results = ledger_.CreateTransfers(PostTransfers(std::string(ir)));
    if (!results.ok()) return results.error();
    const auto& principal = (*results)[0];
    if (!principal.ok()) {
      if (principal.code == ledger::TransferCode::kPendingTransferExpired) return Error("ipn.hold_expired", std::string(ir));
      if (principal.code == ledger::TransferCode::kPendingTransferAlreadyVoided ||
          principal.code == ledger::TransferCode::kPendingTransferNotFound ||
          principal.code == ledger::TransferCode::kPendingTransferNotPending) {
        return Error("ipn.hold_voided", std::string(ir));
      }
      return ledger::ToError(principal.code);
    }
    // No fee hold exists for a fee-free transfer: that post finds nothing.
    const auto& fee = (*results)[1];
    if (!fee.ok() && fee.code != ledger::TransferCode::kPendingTransferNotFound &&
        fee.code != ledger::TransferCode::kPendingTransferNotPending) {
      return ledger::ToError(fee.code);
    }
    return {};
  }

  Status VoidHold(std::string_view ir) override { return VoidHolds(std::string(ir)); }

  ledger::Transfer DirectDebitTransfer(const DebitOrder& order, int64_t payer_ledger_account) const override {
    ledger::Transfer t;
    t.id = order.ir + "/debit";
    t.debit_account_id = payer_ledger_account;
    t.credit_account_id = accounts_.clearing;
    t.amount = order.amount + order.fee;
    t.code = internal::kTransferDirectDebit;
    t.user_data = order.ir;
    return t;
  }

  std::optional<ledger::Transfer> FeeIncomeTransfer(const DebitOrder& order) const override {
    if (order.fee <= 0) return std::nullopt;
    ledger::Transfer t;
    t.id = order.ir + "/fee-income";
    t.debit_account_id = accounts_.clearing;
    t.credit_account_id = accounts_.fees;
    t.amount = order.fee;
    t.code = internal::kTransferFeeIncome;
    t.user_data = order.ir;
    return t;
  }

  ledger::Transfer CreditTransfer(const CreditOrder& order, int64_t payee_ledger_account) const override {
    ledger::Transfer t;
    t.id = order.ir + "/credit";
    t.debit_account_id = accounts_.clearing;
    t.credit_account_id = payee_ledger_account;
    t.amount = order.amount;
    t.code = internal::kTransferCredit;
    t.user_data = order.ir;
    return t;
  }

  Result<bool> CancelDebit(std::string_view ir_view) override {
    std::string ir(ir_view);
    // Fence both hold ids: a transfer the ledger refuses is still decided
    // forever, so a DebitHold arriving later finds its ids taken. If a hold
    // got there first the fence is refused instead, and we void the hold.
    std::vector<ledger::Transfer> fences{Fence(ir + "/hold"), Fence(ir + "/fee")};
    auto results = ledger_.CreateTransfers(fences);
    if (!results.ok()) return results.error();
    if ((*results)[0].code != ledger::TransferCode::kExistsWithDifferentFields &&
        (*results)[1].code != ledger::TransferCode::kExistsWithDifferentFields) {
      return true;  // fenced: never held, never will be
    }
    Status voided = VoidHolds(ir);
    if (!voided.ok()) {
      if (voided.error().code == "ipn.hold_posted") return false;
      return voided.error();
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
    auto r = ApplyOne(CreditTransfer(order, account->ledger_account));
    if (!r.ok()) return r.error();
    if (r->code == ledger::TransferCode::kExistsWithDifferentFields) return Error("ipn.credit_fenced", order.ir);
    if (!r->ok()) return ledger::ToError(r->code);
    return *account;
  }

  Result<CreditStatus> QueryCredit(std::string_view ir) override {
    std::string id = std::string(ir) + "/credit";
    auto fenced = ApplyOne(Fence(id));
    if (!fenced.ok()) return fenced.error();
    if (fenced->code != ledger::TransferCode::kExistsWithDifferentFields) return CreditStatus::kNotCredited;
    // Something else holds the id: a credit (answer yes) or a credit that
    // failed (no: its id is taken, so it can never succeed either).
    auto record = ledger_.LookupTransfer(id);
    if (!record.ok()) return record.error();
    if (!record->has_value()) return Error("ipn.internal", "decided transfer not found: " + id);
    return (*record)->result.ok() ? CreditStatus::kCredited : CreditStatus::kNotCredited;
  }

  Status ReturnCredit(std::string_view ir) override {
    auto credit = ledger_.LookupTransfer(std::string(ir) + "/credit");
    if (!credit.ok()) return credit.error();
    if (!credit->has_value() || !(*credit)->result.ok()) {
      return Error("ipn.invalid_state", "no credit to return for " + std::string(ir));
    }
    const ledger::Transfer& original = (*credit)->transfer;
    ledger::Transfer t;
    t.id = std::string(ir) + "/return";
    t.debit_account_id = original.credit_account_id;
    t.credit_account_id = accounts_.clearing;
    t.amount = original.amount;
    t.code = internal::kTransferReturn;
    t.user_data = std::string(ir);
    auto r = ApplyOne(t);
    if (!r.ok()) return r.error();
    if (r->code == ledger::TransferCode::kExceedsCredits) return Error("ipn.reversal_insufficient_funds", std::string(ir));
    if (!r->ok()) return ledger::ToError(r->code);
    return {};
  }

  Status Refund(std::string_view ir_view) override {
    std::string ir(ir_view);
    // A direct send debited amount + fee at once and booked the fee.
    auto debit = ledger_.LookupTransfer(ir + "/debit");
    if (!debit.ok()) return debit.error();
    if (debit->has_value() && (*debit)->result.ok()) {
      auto fee = ledger_.LookupTransfer(ir + "/fee-income");
      if (!fee.ok()) return fee.error();
      int64_t fee_amount = fee->has_value() && (*fee)->result.ok() ? (*fee)->transfer.amount : 0;
      return ApplyRefunds(ir, (*debit)->transfer.debit_account_id, (*debit)->transfer.amount - fee_amount,
                          fee_amount);
    }
    auto hold = ledger_.LookupTransfer(ir + "/hold");
    if (!hold.ok()) return hold.error();
    if (!hold->has_value() || !(*hold)->result.ok()) return {};  // never held: nothing to give back
    if ((*hold)->hold_state != ledger::HoldState::kPosted) {
      // Undecided (e.g. expired or still pending): settle it now.
      auto freed = CancelDebit(ir);
      if (!freed.ok()) return freed.error();
      if (*freed) return {};
    }
    auto fee = ledger_.LookupTransfer(ir + "/fee");
    if (!fee.ok()) return fee.error();
    bool fee_taken = fee->has_value() && (*fee)->result.ok() && (*fee)->hold_state == ledger::HoldState::kPosted;
    return ApplyRefunds(ir, (*hold)->transfer.debit_account_id, (*hold)->transfer.amount,
                        fee_taken ? (*fee)->transfer.amount : 0);
  }

  // Gives the payer `principal` back from clearing and `fee` from fee income.
  Status ApplyRefunds(const std::string& ir, int64_t payer_ledger_account, int64_t principal, int64_t fee) {
    std::vector<ledger::Transfer> refunds;
    ledger::Transfer t;
    t.id = ir + "/refund";
    t.debit_account_id = accounts_.clearing;
    t.credit_account_id = payer_ledger_account;
    t.amount = principal;
    t.code = internal::kTransferRefund;
    t.user_data = ir;
    refunds.push_back(t);
    if (fee > 0) {
      t.id = ir + "/refund-fee";
      t.debit_account_id = accounts_.fees;
      t.amount = fee;
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
        if (!AllAsciiDigits(a.account_number) || a.account_number.size() > 17) {
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
    // No kHistory: a customer's sends are found by their IR (the ledger ids
    // are "<IR>/debit", "<IR>/credit", ...), and the app keeps the
    // customer's own history. Its ledger history index would cost every send
    // two index pages, the payer's and the payee's, that no other send of the
    // batch shares (without it, 14 % more transfers/s; docs/ledger.md).
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
  std::vector<ledger::Transfer> HoldTransfers(const DebitOrder& order, int64_t payer_ledger_account) const {
    std::vector<ledger::Transfer> holds;
    holds.push_back(HoldTransfer(order.ir + "/hold", payer_ledger_account, accounts_.clearing, order.amount,
                                 internal::kTransferHold, order));
    if (order.fee > 0) {
      holds.push_back(HoldTransfer(order.ir + "/fee", payer_ledger_account, accounts_.fees, order.fee,
                                   internal::kTransferFeeHold, order));
    }
    return holds;
  }

  // PostHold always posts the fee hold too: a fee-free transfer's finds nothing.
  static std::vector<ledger::Transfer> PostTransfers(const std::string& ir) {
    return {Resolve(ir + "/post", ir + "/hold", ledger::transfer_flags::kPostPending),
            Resolve(ir + "/fee-post", ir + "/fee", ledger::transfer_flags::kPostPending)};
  }

  static std::vector<ledger::Transfer> VoidTransfers(const std::string& ir) {
    return {Resolve(ir + "/void", ir + "/hold", ledger::transfer_flags::kVoidPending),
            Resolve(ir + "/fee-void", ir + "/fee", ledger::transfer_flags::kVoidPending)};
  }

  static ledger::Transfer HoldTransfer(std::string id, int64_t from, int64_t to, int64_t amount, int64_t code,
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
    auto results = ledger_.CreateTransfers(VoidTransfers(ir));
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

  // A transfer the ledger refuses (amount 0) under `id`: decided forever,
  // so the real operation can never take that id afterwards.
  ledger::Transfer Fence(std::string id) const {
    ledger::Transfer t;
    t.id = std::move(id);
    t.debit_account_id = accounts_.clearing;
    t.credit_account_id = accounts_.fees;
    t.amount = 0;
    t.code = internal::kTransferFence;
    t.user_data = "fence";
    return t;
  }

  Participant participant_;
  ParticipantAccounts accounts_;
  store::Store& store_;
  ledger::Ledger& ledger_;
};

}  // namespace

const std::string& internal::AccountLookupSql(AccountKeyKind kind) {
  static const std::string by_account_number = LookupSql("account_number"), by_iban = LookupSql("iban"),
                           by_card_number = LookupSql("card_number"), by_mobile = LookupSql("mobile");
  switch (kind) {
    case AccountKeyKind::kAccountNumber: return by_account_number;
    case AccountKeyKind::kIban: return by_iban;
    case AccountKeyKind::kCardNumber: return by_card_number;
    case AccountKeyKind::kMobile: return by_mobile;
  }
  return by_account_number;  // every kind is listed above
}

std::unique_ptr<LocalInstitution> MakeLocalInstitution(const Participant& participant, int64_t participant_number,
                                                       store::Store& store, ledger::Ledger& ledger) {
  return std::make_unique<Local>(participant, participant_number, store, ledger);
}

}  // namespace lahza::ipn
