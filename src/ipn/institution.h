// What the switch asks of a participant institution. Every call is keyed by
// the transaction's IR reference and is idempotent: the network may deliver a
// request twice or lose the answer, so a retry must never move money twice.
//
// LocalInstitution (institution.cc) is the real in-process implementation: the
// institution's customer accounts live in the store (ipn_accounts) and its
// money in the ledger — a customer's account, the institution's IPN clearing
// account, its fee income account and its settlement account at the central
// bank are all ledger accounts owned by the participant code.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ledger/ledger.h"

namespace lahza::store { class Store; }

namespace lahza::ipn {

enum class AccountStatus { kOpen, kClosed };

// A customer's account as its institution knows it.
struct AccountInfo {
  std::string participant;
  std::string account_number;  // wallets: the national mobile number "01012345678"
  std::string iban;            // banks only; empty otherwise
  std::string card_number;     // card issuers (and banks issuing Meeza): the PAN; may be empty
  std::string name_ar;
  std::string name_en;
  std::string mobile;          // E.164, registered at the institution
  AccountStatus status = AccountStatus::kOpen;
  int64_t ledger_account = 0;
};

// How an institution is asked to find an account.
enum class AccountKeyKind { kAccountNumber, kIban, kCardNumber, kMobile };
struct AccountKey {
  AccountKeyKind kind = AccountKeyKind::kAccountNumber;
  std::string value;  // normalised: IBAN electronic form, card digits, mobile E.164
};

// Payer side: hold `amount` (and `fee`) on the customer's account.
struct DebitOrder {
  std::string ir;
  std::string account_number;
  int64_t amount = 0;
  int64_t fee = 0;
  int64_t hold_timeout_seconds = 0;  // backstop: the hold voids itself if nobody decides
};

// Payee side: credit the customer's account. `expected_name`, when not empty,
// must match the holder's name (Arabic or English, case and spacing ignored).
struct CreditOrder {
  std::string ir;
  AccountKey payee;  // resolved by the payee's institution itself
  int64_t amount = 0;
  std::string expected_name;
};

enum class CreditStatus { kCredited, kNotCredited };

class Institution {
 public:
  virtual ~Institution() = default;
  virtual const std::string& code() const = 0;

  // Errors: ipn.account_not_found.
  virtual Result<AccountInfo> Lookup(const AccountKey& key) = 0;

  // Payer side. Errors: ipn.account_not_found, ipn.payer_account_closed,
  // ipn.insufficient_funds.
  virtual Status DebitHold(const DebitOrder& order) = 0;
  // Settles the hold (customer money leaves for good) or releases it. Both are
  // final and repeatable.
  virtual Status PostHold(std::string_view ir) = 0;
  virtual Status VoidHold(std::string_view ir) = 0;
  // Payer side inquiry that also decides: if the hold for `ir` was never
  // placed it never will be (a late DebitHold is refused), and a placed,
  // still pending hold is voided. Returns true when the customer's money is
  // now free (nothing held), false when the hold had already been posted.
  virtual Result<bool> CancelDebit(std::string_view ir) = 0;

  // Payee side. Errors: ipn.account_not_found, ipn.account_closed,
  // ipn.name_mismatch, ipn.credit_fenced (the switch already asked about this
  // IR and was told it was not credited).
  // Returns the credited account (for the payee's masked name).
  virtual Result<AccountInfo> Credit(const CreditOrder& order) = 0;
  // Status inquiry with a fence: when the answer is kNotCredited, a credit
  // for `ir` arriving later is refused, so the switch can safely reverse.
  virtual Result<CreditStatus> QueryCredit(std::string_view ir) = 0;

  // Operator reversal of a completed transfer, each side from its own record
  // of the IR: the payee's institution takes the credit back
  // (ipn.reversal_insufficient_funds if the payee has spent it), the payer's
  // gives the amount and fee back. Repeatable.
  virtual Status ReturnCredit(std::string_view ir) = 0;
  virtual Status Refund(std::string_view ir) = 0;
};

// A participant's ledger accounts (ids are derived from its number in the
// directory table, see institution.cc).
struct ParticipantAccounts {
  int64_t settlement = 0;  // at the central bank
  int64_t clearing = 0;    // IPN in-flight: payer holds land here, payee credits come from here
  int64_t fees = 0;        // fee income
  int64_t funding = 0;     // the institution's own funds, source of opening balances

  // The account by its name, "settlement", "clearing", "fees" or "funding"
  // (its user_data prefix, and the admin statement route's word); 0 for any
  // other name.
  int64_t Named(std::string_view name) const;
};
ParticipantAccounts AccountsOf(int64_t participant_number);

// Opening a customer account at an institution (demo world, tests, admin).
struct NewAccount {
  std::string account_number;  // banks: up to 17 digits (the IBAN is derived); wallets: the mobile; cards: any id
  std::string card_number;     // optional PAN (Luhn-valid), for card issuers and Meeza-issuing banks
  std::string name_ar;
  std::string name_en;
  std::string mobile;          // any form MobileNumber::Parse accepts
  int64_t opening_balance = 0; // piastres, funded from the institution's own funds
};

// The in-process institution: real accounts in the store, real money in the
// ledger. Beyond the switch's interface it lets its owner manage accounts.
class LocalInstitution : public Institution {
 public:
  // The direct path (see Switch, direct_send.cc): when both sides of a send
  // are in process and healthy, the switch applies these ledger transfers
  // itself, in its own transaction, in two steps — the payer's institution's
  // debit first, then (only if it stood) its fee income and the payee's
  // institution's credit. The debit takes amount + fee at once into the
  // clearing account: there is no hold, because nothing happens between
  // debit and credit that a hold would have to cover. `Credit` applies the
  // same credit transfer on the step-by-step path; `Refund` knows both.
  virtual ledger::Transfer DirectDebitTransfer(const DebitOrder& order, int64_t payer_ledger_account) const = 0;
  virtual std::optional<ledger::Transfer> FeeIncomeTransfer(const DebitOrder& order) const = 0;  // none if fee 0
  virtual ledger::Transfer CreditTransfer(const CreditOrder& order, int64_t payee_ledger_account) const = 0;
  // Lookup, inside a read transaction the caller already holds: the direct
  // path checks both sides' accounts in the snapshot it routed the payee in.
  virtual Result<AccountInfo> Lookup(const AccountKey& key, store::Transaction& reads) = 0;
  using Institution::Lookup;

  // Errors: ipn.account_exists, ipn.account_number_invalid, ipn.name_required,
  // mobile.* and card.* from the core validators.
  virtual Result<AccountInfo> OpenAccount(const NewAccount& account) = 0;
  virtual Status SetStatus(const std::string& account_number, AccountStatus status) = 0;
  // Posted balance minus holds, piastres.
  virtual Result<int64_t> Available(const std::string& account_number) = 0;
};

struct Participant;
std::unique_ptr<LocalInstitution> MakeLocalInstitution(const Participant& participant, int64_t participant_number,
                                                       store::Store& store, ledger::Ledger& ledger);

}  // namespace lahza::ipn
