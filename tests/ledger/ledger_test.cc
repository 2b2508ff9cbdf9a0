// The ledger against both backends: every result code, idempotent retries,
// two-phase holds with expiry, limit flags, history, concurrency, and two
// ledgers (as two processes would) sharing one database.
#include <gtest/gtest.h>

#include <atomic>
#include <climits>
#include <random>
#include <thread>
#include <tuple>

#include "core/messages.h"
#include "ledger/ledger.h"
#include "store/test_stores.h"

namespace lahza::ledger {
namespace {

#define ASSERT_OK(expr)                                                                          \
  do {                                                                                           \
    const auto& lahza_result_ = (expr);                                                          \
    ASSERT_TRUE(lahza_result_.ok()) << #expr << ": " << lahza_result_.error().code << " "      \
                                    << lahza_result_.error().detail;                             \
  } while (0)

constexpr int64_t kStart = 1'800'000'000'000'000;  // a fixed "now" (microseconds)
constexpr int64_t kSecond = 1'000'000;

// Account ids used throughout: a bank's settlement account that may go
// negative (it issues money into the network), customers who may not.
constexpr int64_t kBank = 1;
constexpr int64_t kAlice = 2;
constexpr int64_t kBob = 3;
constexpr int64_t kCapped = 4;  // credits must not exceed debits
constexpr int64_t kUsd = 5;     // another currency
// Alice's account keeps its history (TransfersForAccount); the others do not.
constexpr uint32_t kAliceFlags = account_flags::kDebitsMustNotExceedCredits | account_flags::kHistory;

Account MakeAccount(int64_t id, uint32_t flags = 0, int64_t ledger = kLedgerEgp) {
  Account a;
  a.id = id;
  a.ledger = ledger;
  a.code = 10;
  a.owner = "NBE";
  a.flags = flags;
  a.user_data = "حساب " + std::to_string(id);
  return a;
}

Transfer Move(std::string id, int64_t debit, int64_t credit, int64_t amount, uint32_t flags = 0) {
  Transfer t;
  t.id = std::move(id);
  t.debit_account_id = debit;
  t.credit_account_id = credit;
  t.amount = amount;
  t.flags = flags;
  t.code = 1;
  t.user_data = "IR0000000001";
  return t;
}

Transfer Hold(std::string id, int64_t debit, int64_t credit, int64_t amount, int64_t timeout_seconds = 0) {
  Transfer t = Move(std::move(id), debit, credit, amount, transfer_flags::kPending);
  t.timeout_seconds = timeout_seconds;
  return t;
}

Transfer Resolve(std::string id, std::string pending_id, uint32_t flags, int64_t amount = 0) {
  Transfer t;
  t.id = std::move(id);
  t.pending_id = std::move(pending_id);
  t.flags = flags;
  t.amount = amount;
  return t;
}

class LedgerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    store_ = store::FreshStore(GetParam());
    ASSERT_NE(store_, nullptr);
    Options options;
    options.clock = [this] { return now_.load(); };
    auto ledger = Ledger::Open(*store_, options);
    ASSERT_OK(ledger);
    ledger_ = std::move(*ledger);
    std::vector<Account> accounts = {MakeAccount(kBank), MakeAccount(kAlice, kAliceFlags),
                                     MakeAccount(kBob, account_flags::kDebitsMustNotExceedCredits),
                                     MakeAccount(kCapped, account_flags::kCreditsMustNotExceedDebits),
                                     MakeAccount(kUsd, 0, 840)};
    auto created = ledger_->CreateAccounts(accounts);
    ASSERT_OK(created);
    for (const AccountResult& r : *created) ASSERT_TRUE(r.ok());
  }

  void TearDown() override {
    if (ledger_) {
      Status invariants = ledger_->CheckInvariants();
      EXPECT_TRUE(invariants.ok()) << invariants.error().detail;
      auto totals = ledger_->GetTotals();
      EXPECT_TRUE(totals.ok() || !check_totals_);
      if (totals.ok()) {
        EXPECT_EQ(totals->debits_posted, totals->credits_posted);
        EXPECT_EQ(totals->debits_pending, totals->credits_pending);
      }
    }
    ledger_.reset();
    store_.reset();
  }

  TransferResult One(const Transfer& t) {
    auto results = ledger_->CreateTransfers(std::span<const Transfer>(&t, 1));
    EXPECT_TRUE(results.ok()) << (results.ok() ? "" : results.error().code + " " + results.error().detail);
    if (!results.ok()) return TransferResult{TransferCode::kOverflow, 0, false};
    return results->at(0);
  }
  TransferCode Code(const Transfer& t) { return One(t).code; }

  Account Get(int64_t id) {
    auto account = ledger_->LookupAccount(id);
    EXPECT_TRUE(account.ok() && account->has_value()) << "account " << id;
    return account.ok() && account->has_value() ? **account : Account{};
  }

  // Whether the ledger has a committed transfer with this id.
  bool Exists(const std::string& id) {
    auto record = ledger_->LookupTransfer(id);
    EXPECT_TRUE(record.ok()) << id;
    return record.ok() && record->has_value();
  }

  // Gives `account` `amount` piastres from the bank ("fund-0", "fund-1", ...).
  void Fund(int64_t account, int64_t amount) {
    ASSERT_EQ(Code(Move("fund-" + std::to_string(funded_++), kBank, account, amount)), TransferCode::kOk);
  }

  // Two ledgers with their own stores on one fresh database, as two
  // processes would be, and the bank, Alice (who cannot overdraw) and Bob,
  // created through the first.
  struct TwoLedgers {
    std::unique_ptr<store::Store> store_a, store_b;
    std::unique_ptr<Ledger> a, b;
  };
  TwoLedgers OpenTwoLedgers() {
    TwoLedgers two;
    // FreshUrl names a database of its own that every Open(url) shares.
    const std::string url = store::FreshUrl(GetParam());
    EXPECT_FALSE(url.empty());
    auto store_a = store::Open(url);
    auto store_b = store::Open(url);
    EXPECT_TRUE(store_a.ok() && store_b.ok());
    if (!store_a.ok() || !store_b.ok()) return two;
    two.store_a = std::move(*store_a);
    two.store_b = std::move(*store_b);
    auto ledger_a = Ledger::Open(*two.store_a);
    auto ledger_b = Ledger::Open(*two.store_b);
    EXPECT_TRUE(ledger_a.ok() && ledger_b.ok());
    if (!ledger_a.ok() || !ledger_b.ok()) return two;
    two.a = std::move(*ledger_a);
    two.b = std::move(*ledger_b);
    EXPECT_TRUE(two.a->CreateAccounts(two_ledger_accounts_).ok());
    return two;
  }
  const std::vector<Account> two_ledger_accounts_ = {
      MakeAccount(kBank), MakeAccount(kAlice, kAliceFlags), MakeAccount(kBob)};

  int funded_ = 0;
  bool check_totals_ = true;
  std::atomic<int64_t> now_{kStart};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_P(LedgerTest, AccountsAreCreatedOnceAndValidated) {
  Account alice = Get(kAlice);
  EXPECT_EQ(alice.owner, "NBE");
  EXPECT_EQ(alice.flags, kAliceFlags);
  EXPECT_EQ(alice.user_data, "حساب 2");
  EXPECT_GT(alice.timestamp, 0);
  EXPECT_EQ(alice.debits_posted + alice.credits_posted + alice.debits_pending + alice.credits_pending, 0);

  Account changed = MakeAccount(kAlice, kAliceFlags);
  Account same = changed;
  changed.code = 11;
  Account bad_flags = MakeAccount(20, account_flags::kDebitsMustNotExceedCredits |
                                          account_flags::kCreditsMustNotExceedDebits);
  Account unknown_flag = MakeAccount(21, 1u << 7);
  Account bad_ledger = MakeAccount(22, 0, 0);
  Account long_owner = MakeAccount(23);
  long_owner.owner = std::string(kMaxOwnerBytes + 1, 'x');
  Account long_data = MakeAccount(24);
  long_data.user_data = std::string(kMaxUserDataBytes + 1, 'x');
  std::vector<Account> batch = {same, changed, MakeAccount(0), MakeAccount(-3), bad_flags, unknown_flag,
                                bad_ledger, long_owner, long_data, MakeAccount(30), MakeAccount(30)};
  auto results = ledger_->CreateAccounts(batch);
  ASSERT_OK(results);
  std::vector<AccountCode> codes;
  for (const AccountResult& r : *results) codes.push_back(r.code);
  EXPECT_EQ(codes, (std::vector<AccountCode>{AccountCode::kOk, AccountCode::kExistsWithDifferentFields,
                                             AccountCode::kIdInvalid, AccountCode::kIdInvalid,
                                             AccountCode::kFlagsInvalid, AccountCode::kFlagsInvalid,
                                             AccountCode::kLedgerInvalid, AccountCode::kOwnerTooLong,
                                             AccountCode::kUserDataTooLong, AccountCode::kOk, AccountCode::kOk}));
  EXPECT_TRUE((*results)[0].replayed);
  EXPECT_FALSE((*results)[9].replayed);
  EXPECT_TRUE((*results)[10].replayed);  // the same account twice in one call

  auto missing = ledger_->LookupAccount(999);
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());
  std::vector<int64_t> ids = {kBob, 999, kAlice};
  auto some = ledger_->LookupAccounts(ids);
  ASSERT_OK(some);
  ASSERT_EQ(some->size(), 2u);
  EXPECT_EQ((*some)[0].id, kBob);
  EXPECT_EQ((*some)[1].id, kAlice);
}

TEST_P(LedgerTest, PlainTransferMovesPostedBalances) {
  Fund(kAlice, 10'000);
  TransferResult r = One(Move("t1", kAlice, kBob, 2'550));
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.replayed);
  EXPECT_GE(r.timestamp, kStart);
  Account alice = Get(kAlice), bob = Get(kBob), bank = Get(kBank);
  EXPECT_EQ(alice.credits_posted, 10'000);
  EXPECT_EQ(alice.debits_posted, 2'550);
  EXPECT_EQ(alice.credit_balance(), 7'450);
  EXPECT_EQ(bob.credits_posted, 2'550);
  EXPECT_EQ(bank.debits_posted, 10'000);

  auto record = ledger_->LookupTransfer("t1");
  ASSERT_OK(record);
  ASSERT_TRUE(record->has_value());
  EXPECT_EQ((*record)->transfer.amount, 2'550);
  EXPECT_EQ((*record)->transfer.user_data, "IR0000000001");
  EXPECT_EQ((*record)->result.timestamp, r.timestamp);
  EXPECT_EQ((*record)->hold_state, HoldState::kNone);
  auto none = ledger_->LookupTransfer("nope");
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
}

TEST_P(LedgerTest, InvalidTransfersAreRejectedWithTheirCode) {
  Fund(kAlice, 1'000);
  Transfer long_data = Move("v-data", kAlice, kBob, 1);
  long_data.user_data = std::string(kMaxUserDataBytes + 1, 'x');
  Transfer timeout_on_plain = Move("v-timeout", kAlice, kBob, 1);
  timeout_on_plain.timeout_seconds = 5;
  Transfer pending_id_on_plain = Move("v-pid", kAlice, kBob, 1);
  pending_id_on_plain.pending_id = "x";
  struct Case {
    Transfer transfer;
    TransferCode expected;
  };
  std::vector<Case> cases = {
      {Move("", kAlice, kBob, 1), TransferCode::kIdInvalid},
      {Move("has space", kAlice, kBob, 1), TransferCode::kIdInvalid},
      {Move(std::string(kMaxTransferIdBytes + 1, 'a'), kAlice, kBob, 1), TransferCode::kIdInvalid},
      {Move("v-flags", kAlice, kBob, 1, transfer_flags::kPending | transfer_flags::kPostPending),
       TransferCode::kFlagsInvalid},
      {Move("v-flags2", kAlice, kBob, 1, 1u << 9), TransferCode::kFlagsInvalid},
      {pending_id_on_plain, TransferCode::kPendingIdMustBeEmpty},
      {Resolve("v-post", "", transfer_flags::kPostPending), TransferCode::kPendingIdRequired},
      {Resolve("v-self", "v-self", transfer_flags::kVoidPending), TransferCode::kPendingIdSameAsId},
      {timeout_on_plain, TransferCode::kTimeoutInvalid},
      {Hold("v-neg-timeout", kAlice, kBob, 1, -1), TransferCode::kTimeoutInvalid},
      {Move("v-neg", kAlice, kBob, -5), TransferCode::kAmountInvalid},
      {Move("v-zero", kAlice, kBob, 0), TransferCode::kAmountZero},
      {Hold("v-zero-hold", kAlice, kBob, 0), TransferCode::kAmountZero},
      {Move("v-acct", 0, kBob, 1), TransferCode::kAccountIdInvalid},
      {Move("v-acct2", kAlice, -1, 1), TransferCode::kAccountIdInvalid},
      {Move("v-same", kAlice, kAlice, 1), TransferCode::kAccountsMustBeDifferent},
      {long_data, TransferCode::kUserDataTooLong},
      {Move("v-nodebit", 77, kBob, 1), TransferCode::kDebitAccountNotFound},
      {Move("v-nocredit", kAlice, 78, 1), TransferCode::kCreditAccountNotFound},
      {Move("v-ledger", kAlice, kUsd, 1), TransferCode::kLedgerMismatch},
      {Move("v-credits", kAlice, kBob, 1'001), TransferCode::kExceedsCredits},
      {Move("v-debits", kBank, kCapped, 1), TransferCode::kExceedsDebits},
      {Move("v-overflow", kBank, kBob, INT64_MAX), TransferCode::kOverflow},
      {Resolve("v-nohold", "missing", transfer_flags::kPostPending), TransferCode::kPendingTransferNotFound},
  };
  std::vector<Transfer> batch;
  for (const Case& c : cases) batch.push_back(c.transfer);
  auto results = ledger_->CreateTransfers(batch);
  ASSERT_OK(results);
  ASSERT_EQ(results->size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ((*results)[i].code, cases[i].expected)
        << "case " << i << " (" << cases[i].transfer.id.substr(0, 20) << "): got " << CodeName((*results)[i].code);
    EXPECT_FALSE((*results)[i].ok());
  }
  // Nothing moved: Alice has exactly her funding.
  Account alice = Get(kAlice);
  EXPECT_EQ(alice.credits_posted, 1'000);
  EXPECT_EQ(alice.debits_posted + alice.debits_pending, 0);
  // Failures are recorded (so a retry gets the same answer), except a bad id.
  auto failed = ledger_->LookupTransfer("v-credits");
  ASSERT_OK(failed);
  ASSERT_TRUE(failed->has_value());
  EXPECT_EQ((*failed)->result.code, TransferCode::kExceedsCredits);
  auto unnamed = ledger_->LookupTransfer("has space");
  ASSERT_OK(unnamed);
  EXPECT_FALSE(unnamed->has_value());
}

TEST_P(LedgerTest, OverflowOfABalanceIsRefused) {
  check_totals_ = false;  // the sum of all credits is now beyond int64 (CheckInvariants still runs)
  ASSERT_EQ(Code(Move("big", kBank, kBob, INT64_MAX)), TransferCode::kOk);
  EXPECT_EQ(Code(Move("one-more", kBank, kBob, 1)), TransferCode::kOverflow);
  EXPECT_EQ(Get(kBob).credits_posted, INT64_MAX);
  // Moving it back out is fine.
  EXPECT_EQ(Code(Move("back", kBob, kBank, INT64_MAX)), TransferCode::kOk);
  auto totals = ledger_->GetTotals();
  ASSERT_FALSE(totals.ok());
  EXPECT_EQ(totals.error().code, "ledger.overflow");
}

TEST_P(LedgerTest, LimitFlagsHoldWithPendingAmountsCounted) {
  Fund(kAlice, 5'000);
  EXPECT_EQ(Code(Hold("h1", kAlice, kBob, 3'000)), TransferCode::kOk);
  // Held money is not available: 3,000 held + 2,001 > 5,000.
  EXPECT_EQ(Code(Move("t-too-much", kAlice, kBob, 2'001)), TransferCode::kExceedsCredits);
  EXPECT_EQ(Code(Move("t-exact", kAlice, kBob, 2'000)), TransferCode::kOk);
  EXPECT_EQ(Get(kAlice).available(), 0);
  EXPECT_EQ(Code(Move("t-one", kAlice, kBob, 1)), TransferCode::kExceedsCredits);

  // Credits-must-not-exceed-debits: the capped account may only receive what it sent.
  EXPECT_EQ(Code(Move("c1", kCapped, kBank, 700)), TransferCode::kOk);
  EXPECT_EQ(Code(Move("c2", kBank, kCapped, 701)), TransferCode::kExceedsDebits);
  EXPECT_EQ(Code(Hold("c3", kBank, kCapped, 400)), TransferCode::kOk);
  EXPECT_EQ(Code(Move("c4", kBank, kCapped, 301)), TransferCode::kExceedsDebits);
  EXPECT_EQ(Code(Move("c5", kBank, kCapped, 300)), TransferCode::kOk);
}

TEST_P(LedgerTest, RetriesReturnTheFirstResult) {
  Fund(kAlice, 1'000);
  Transfer t = Move("pay-1", kAlice, kBob, 600);
  TransferResult first = One(t);
  ASSERT_TRUE(first.ok());
  TransferResult again = One(t);
  EXPECT_TRUE(again.ok());
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.timestamp, first.timestamp);
  EXPECT_EQ(Get(kAlice).debits_posted, 600);  // applied once

  Transfer different = t;
  different.amount = 601;
  TransferResult clash = One(different);
  EXPECT_EQ(clash.code, TransferCode::kExistsWithDifferentFields);
  EXPECT_EQ(clash.timestamp, 0);
  different = t;
  different.user_data = "IR9999999999";
  EXPECT_EQ(Code(different), TransferCode::kExistsWithDifferentFields);

  // A failure is final too: after Alice is funded, the retry still fails
  // (a client that wants another try uses a new id).
  Transfer big = Move("pay-2", kAlice, kBob, 1'000);
  EXPECT_EQ(Code(big), TransferCode::kExceedsCredits);
  Fund(kAlice, 5'000);
  TransferResult replay = One(big);
  EXPECT_EQ(replay.code, TransferCode::kExceedsCredits);
  EXPECT_TRUE(replay.replayed);
  big.id = "pay-3";
  EXPECT_EQ(Code(big), TransferCode::kOk);

  // The same id twice in one batch: the second is a replay of the first.
  std::vector<Transfer> batch = {Move("dup", kAlice, kBob, 10), Move("dup", kAlice, kBob, 10),
                                 Move("dup", kAlice, kBob, 11)};
  auto results = ledger_->CreateTransfers(batch);
  ASSERT_OK(results);
  EXPECT_TRUE((*results)[0].ok() && !(*results)[0].replayed);
  EXPECT_TRUE((*results)[1].ok() && (*results)[1].replayed);
  EXPECT_EQ((*results)[2].code, TransferCode::kExistsWithDifferentFields);
  EXPECT_EQ(Get(kBob).credits_posted, 600 + 1'000 + 10);
}

TEST_P(LedgerTest, HoldThenPostInFull) {
  Fund(kAlice, 10'000);
  ASSERT_EQ(Code(Hold("h", kAlice, kBob, 4'000, 60)), TransferCode::kOk);
  Account alice = Get(kAlice), bob = Get(kBob);
  EXPECT_EQ(alice.debits_pending, 4'000);
  EXPECT_EQ(alice.debits_posted, 0);
  EXPECT_EQ(bob.credits_pending, 4'000);
  auto hold = ledger_->LookupTransfer("h");
  ASSERT_OK(hold);
  EXPECT_EQ((*hold)->hold_state, HoldState::kPending);
  EXPECT_EQ((*hold)->expires_at, (*hold)->result.timestamp + 60 * kSecond);

  TransferResult posted = One(Resolve("h-post", "h", transfer_flags::kPostPending));
  ASSERT_TRUE(posted.ok()) << CodeName(posted.code);
  alice = Get(kAlice);
  bob = Get(kBob);
  EXPECT_EQ(alice.debits_pending, 0);
  EXPECT_EQ(alice.debits_posted, 4'000);
  EXPECT_EQ(bob.credits_pending, 0);
  EXPECT_EQ(bob.credits_posted, 4'000);
  hold = ledger_->LookupTransfer("h");
  EXPECT_EQ((*hold)->hold_state, HoldState::kPosted);
  EXPECT_EQ((*hold)->resolved_at, posted.timestamp);
  auto post = ledger_->LookupTransfer("h-post");
  ASSERT_OK(post);
  EXPECT_EQ((*post)->transfer.amount, 4'000);  // resolved from the hold
  EXPECT_EQ((*post)->transfer.debit_account_id, kAlice);
  EXPECT_EQ((*post)->transfer.credit_account_id, kBob);

  // A posted hold cannot change again.
  EXPECT_EQ(Code(Resolve("h-post-2", "h", transfer_flags::kPostPending)),
            TransferCode::kPendingTransferAlreadyPosted);
  EXPECT_EQ(Code(Resolve("h-void", "h", transfer_flags::kVoidPending)), TransferCode::kPendingTransferAlreadyPosted);
  // Retrying the post itself is a replay, with or without the resolved fields.
  EXPECT_TRUE(One(Resolve("h-post", "h", transfer_flags::kPostPending)).replayed);
  Transfer explicit_retry = Resolve("h-post", "h", transfer_flags::kPostPending, 4'000);
  explicit_retry.debit_account_id = kAlice;
  EXPECT_TRUE(One(explicit_retry).replayed);
  EXPECT_EQ(Get(kAlice).debits_posted, 4'000);
}

TEST_P(LedgerTest, PartialPostReleasesTheRest) {
  Fund(kAlice, 10'000);
  ASSERT_EQ(Code(Hold("h", kAlice, kBob, 4'000)), TransferCode::kOk);
  EXPECT_EQ(Code(Resolve("too-much", "h", transfer_flags::kPostPending, 4'001)), TransferCode::kExceedsPendingAmount);
  ASSERT_EQ(Code(Resolve("part", "h", transfer_flags::kPostPending, 1'500)), TransferCode::kOk);
  Account alice = Get(kAlice);
  EXPECT_EQ(alice.debits_pending, 0);
  EXPECT_EQ(alice.debits_posted, 1'500);
  EXPECT_EQ(Get(kBob).credits_posted, 1'500);
}

TEST_P(LedgerTest, VoidReleasesTheHold) {
  Fund(kAlice, 10'000);
  ASSERT_EQ(Code(Hold("h", kAlice, kBob, 4'000)), TransferCode::kOk);
  EXPECT_EQ(Code(Resolve("v-amount", "h", transfer_flags::kVoidPending, 3'999)), TransferCode::kPendingAmountMismatch);
  Transfer wrong_debit = Resolve("v-debit", "h", transfer_flags::kVoidPending);
  wrong_debit.debit_account_id = kBank;
  EXPECT_EQ(Code(wrong_debit), TransferCode::kPendingDebitAccountMismatch);
  Transfer wrong_credit = Resolve("v-credit", "h", transfer_flags::kVoidPending);
  wrong_credit.credit_account_id = kBank;
  EXPECT_EQ(Code(wrong_credit), TransferCode::kPendingCreditAccountMismatch);
  ASSERT_EQ(Code(Resolve("void", "h", transfer_flags::kVoidPending, 4'000)), TransferCode::kOk);
  Account alice = Get(kAlice);
  EXPECT_EQ(alice.debits_pending, 0);
  EXPECT_EQ(alice.debits_posted, 0);
  EXPECT_EQ(alice.available(), 10'000);
  EXPECT_EQ(Get(kBob).credits_pending, 0);
  auto hold = ledger_->LookupTransfer("h");
  EXPECT_EQ((*hold)->hold_state, HoldState::kVoided);
  EXPECT_EQ(Code(Resolve("void-2", "h", transfer_flags::kVoidPending)), TransferCode::kPendingTransferAlreadyVoided);
  EXPECT_EQ(Code(Resolve("post-2", "h", transfer_flags::kPostPending)), TransferCode::kPendingTransferAlreadyVoided);
  // Only holds can be posted or voided; failed holds do not count.
  EXPECT_EQ(Code(Resolve("post-plain", "fund-0", transfer_flags::kPostPending)),
            TransferCode::kPendingTransferNotPending);
  EXPECT_EQ(Code(Hold("h-fail", kAlice, kBob, 1'000'000)), TransferCode::kExceedsCredits);
  EXPECT_EQ(Code(Resolve("post-failed", "h-fail", transfer_flags::kPostPending)),
            TransferCode::kPendingTransferNotFound);
}

TEST_P(LedgerTest, HoldAndPostInOneBatch) {
  Fund(kAlice, 1'000);
  std::vector<Transfer> batch = {Hold("b-h", kAlice, kBob, 800), Resolve("b-p", "b-h", transfer_flags::kPostPending),
                                 Resolve("b-v", "b-h", transfer_flags::kVoidPending)};
  auto results = ledger_->CreateTransfers(batch);
  ASSERT_OK(results);
  EXPECT_EQ((*results)[0].code, TransferCode::kOk);
  EXPECT_EQ((*results)[1].code, TransferCode::kOk);
  EXPECT_EQ((*results)[2].code, TransferCode::kPendingTransferAlreadyPosted);
  EXPECT_LT((*results)[0].timestamp, (*results)[1].timestamp);
  EXPECT_EQ(Get(kBob).credits_posted, 800);
}

// Transfers applied inside a caller's own transaction: the same decisions as
// through the committer, visible to nobody until the caller commits, and gone
// entirely if it rolls back. Calls in one transaction see each other.
TEST_P(LedgerTest, ApplyInTransactionCommitsAndRollsBackWithTheCaller) {
  Fund(kAlice, 1'000);
  {
    auto tx = store_->Begin(store::Mode::kWrite);
    ASSERT_OK(tx);
    std::vector<Transfer> holds = {Hold("x-h", kAlice, kBob, 700), Hold("x-h2", kAlice, kBob, 700)};
    auto held = ledger_->ApplyInTransaction(**tx, holds);
    ASSERT_OK(held);
    EXPECT_EQ((*held)[0].code, TransferCode::kOk);
    EXPECT_EQ((*held)[1].code, TransferCode::kExceedsCredits);  // the first hold counts already
    std::vector<Transfer> posts = {Resolve("x-p", "x-h", transfer_flags::kPostPending)};
    auto posted = ledger_->ApplyInTransaction(**tx, posts);
    ASSERT_OK(posted);
    EXPECT_EQ((*posted)[0].code, TransferCode::kOk);
    EXPECT_GT((*posted)[0].timestamp, (*held)[0].timestamp);
    // Not committed: the ledger's own readers do not see it. (Rolled back
    // when `tx` goes out of scope.)
  }
  EXPECT_EQ(Get(kAlice).debits_posted, 0);
  EXPECT_FALSE(Exists("x-h"));

  auto tx = store_->Begin(store::Mode::kWrite);
  ASSERT_OK(tx);
  std::vector<Transfer> batch = {Hold("y-h", kAlice, kBob, 600), Resolve("y-p", "y-h", transfer_flags::kPostPending)};
  auto applied = ledger_->ApplyInTransaction(**tx, batch);
  ASSERT_OK(applied);
  EXPECT_TRUE((*applied)[0].ok());
  EXPECT_TRUE((*applied)[1].ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ(Get(kAlice).debits_posted, 600);
  EXPECT_EQ(Get(kBob).credits_posted, 600);
  // Ids decided there are decided for the committer too: a retry replays.
  TransferResult again = One(Hold("y-h", kAlice, kBob, 600));
  EXPECT_TRUE(again.ok());
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(Code(Hold("y-h", kAlice, kBob, 1)), TransferCode::kExistsWithDifferentFields);
}

// Ids::kNew skips the read of existing ids, for callers whose ids cannot
// exist yet. Should one exist after all, nothing is applied twice: the insert
// fails, and with it the caller's transaction, leaving the first transfer as
// it was; with the default, the same call answers "exists" per transfer.
TEST_P(LedgerTest, ApplyInTransactionWithNewIdsNeverAppliesAnIdTwice) {
  Fund(kAlice, 1'000);
  {
    auto tx = store_->Begin(store::Mode::kWrite);
    ASSERT_OK(tx);
    std::vector<Transfer> fresh = {Move("n-1", kAlice, kBob, 100), Move("n-2", kAlice, kBob, 200)};
    auto applied = ledger_->ApplyInTransaction(**tx, fresh, ledger::Ledger::Ids::kNew);
    ASSERT_OK(applied);
    EXPECT_TRUE((*applied)[0].ok() && (*applied)[1].ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(Get(kBob).credits_posted, 300);
  {
    auto tx = store_->Begin(store::Mode::kWrite);
    ASSERT_OK(tx);
    std::vector<Transfer> again = {Move("n-3", kAlice, kBob, 10), Move("n-1", kAlice, kBob, 100)};
    auto applied = ledger_->ApplyInTransaction(**tx, again, ledger::Ledger::Ids::kNew);
    EXPECT_FALSE(applied.ok()) << "a duplicate id must fail the insert, not be applied again";
    // `tx` rolls back: n-3 went with it.
  }
  EXPECT_EQ(Get(kBob).credits_posted, 300);
  EXPECT_FALSE(Exists("n-3"));
  auto tx = store_->Begin(store::Mode::kWrite);
  ASSERT_OK(tx);
  std::vector<Transfer> replay = {Move("n-1", kAlice, kBob, 100)};
  auto looked_up = ledger_->ApplyInTransaction(**tx, replay);
  ASSERT_OK(looked_up);
  EXPECT_TRUE((*looked_up)[0].replayed);
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ(Get(kBob).credits_posted, 300);
}

TEST_P(LedgerTest, HoldsExpireAfterTheirTimeout) {
  Fund(kAlice, 10'000);
  ASSERT_EQ(Code(Hold("short", kAlice, kBob, 1'000, 30)), TransferCode::kOk);
  ASSERT_EQ(Code(Hold("long", kAlice, kBob, 2'000, 300)), TransferCode::kOk);
  ASSERT_EQ(Code(Hold("forever", kAlice, kBob, 3'000)), TransferCode::kOk);
  auto none = ledger_->ExpireHolds();
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0);

  now_ += 31 * kSecond;
  auto one = ledger_->ExpireHolds();
  ASSERT_OK(one);
  EXPECT_EQ(*one, 1);
  EXPECT_EQ(Get(kAlice).debits_pending, 5'000);
  EXPECT_EQ(Get(kBob).credits_pending, 5'000);
  auto expired = ledger_->LookupTransfer("short");
  EXPECT_EQ((*expired)->hold_state, HoldState::kExpired);
  EXPECT_GT((*expired)->resolved_at, 0);
  EXPECT_EQ(Code(Resolve("late-post", "short", transfer_flags::kPostPending)), TransferCode::kPendingTransferExpired);
  EXPECT_EQ(Code(Resolve("late-void", "short", transfer_flags::kVoidPending)), TransferCode::kPendingTransferExpired);

  now_ += 1'000'000 * kSecond;
  auto again = ledger_->ExpireHolds();
  ASSERT_OK(again);
  EXPECT_EQ(*again, 1);  // "long"; "forever" has no timeout
  EXPECT_EQ(Get(kAlice).debits_pending, 3'000);
  auto forever = ledger_->LookupTransfer("forever");
  EXPECT_EQ((*forever)->hold_state, HoldState::kPending);
}

TEST_P(LedgerTest, AHoldPastItsTimeoutExpiresWhenTouched) {
  Fund(kAlice, 10'000);
  ASSERT_EQ(Code(Hold("h", kAlice, kBob, 1'000, 10)), TransferCode::kOk);
  auto made = ledger_->LookupTransfer("h");
  ASSERT_OK(made);
  now_ = (*made)->expires_at - 1;  // a microsecond before the deadline: still good
  EXPECT_EQ(Code(Resolve("p-early", "h", transfer_flags::kVoidPending, 999)), TransferCode::kPendingAmountMismatch);
  EXPECT_EQ(Get(kAlice).debits_pending, 1'000);
  now_ = (*made)->expires_at;  // exactly at the deadline: expired
  EXPECT_EQ(Code(Resolve("p", "h", transfer_flags::kPostPending)), TransferCode::kPendingTransferExpired);
  EXPECT_EQ(Get(kAlice).debits_pending, 0);
  EXPECT_EQ(Get(kBob).credits_posted, 0);
  auto hold = ledger_->LookupTransfer("h");
  EXPECT_EQ((*hold)->hold_state, HoldState::kExpired);
  auto nothing = ledger_->ExpireHolds();
  ASSERT_OK(nothing);
  EXPECT_EQ(*nothing, 0);
}

TEST_P(LedgerTest, HistoryListsAnAccountsTransfersInOrder) {
  Fund(kAlice, 10'000);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Code(Move("a2b-" + std::to_string(i), kAlice, kBob, 100 + i)), TransferCode::kOk);
    ASSERT_EQ(Code(Move("b2a-" + std::to_string(i), kBob, kAlice, 50)), TransferCode::kOk);
  }
  EXPECT_EQ(Code(Move("fails", kAlice, kBob, 1'000'000)), TransferCode::kExceedsCredits);
  auto all = ledger_->TransfersForAccount(kAlice);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 11u);  // funding + 10
  for (size_t i = 1; i < all->size(); ++i) {
    EXPECT_LT((*all)[i - 1].result.timestamp, (*all)[i].result.timestamp);
  }
  EXPECT_EQ(all->front().transfer.credit_account_id, kAlice);
  EXPECT_EQ(all->back().transfer.id, "b2a-4");

  // Paging with the timestamp cursor.
  HistoryQuery page;
  page.limit = 4;
  auto first = ledger_->TransfersForAccount(kAlice, page);
  ASSERT_OK(first);
  ASSERT_EQ(first->size(), 4u);
  page.after_timestamp = first->back().result.timestamp;
  auto second = ledger_->TransfersForAccount(kAlice, page);
  ASSERT_OK(second);
  ASSERT_EQ(second->size(), 4u);
  EXPECT_EQ((*second)[0].transfer.id, (*all)[4].transfer.id);

  HistoryQuery with_failed;
  with_failed.include_failed = true;
  auto everything = ledger_->TransfersForAccount(kAlice, with_failed);
  ASSERT_OK(everything);
  EXPECT_EQ(everything->size(), 12u);
  EXPECT_EQ(everything->back().result.code, TransferCode::kExceedsCredits);

  HistoryQuery bad;
  bad.limit = 0;
  auto refused = ledger_->TransfersForAccount(kAlice, bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "ledger.history_limit_invalid");
}

// Bob's account keeps no history: his side of a transfer is not filed in the
// per-account index, so the ledger cannot list it, and says so; the transfer
// itself is whole, found by its id and on Alice's list.
TEST_P(LedgerTest, AnAccountWithoutHistoryIsNotListed) {
  Fund(kAlice, 1'000);
  ASSERT_EQ(Code(Move("a2b", kAlice, kBob, 250)), TransferCode::kOk);
  ASSERT_EQ(Code(Move("b2a", kBob, kAlice, 50)), TransferCode::kOk);
  EXPECT_EQ(Code(Move("b2nobody", kBob, 999, 10)), TransferCode::kCreditAccountNotFound);

  auto bob = ledger_->TransfersForAccount(kBob);
  ASSERT_FALSE(bob.ok());
  EXPECT_EQ(bob.error().code, "ledger.account_without_history");
  auto nobody = ledger_->TransfersForAccount(999);
  ASSERT_OK(nobody);
  EXPECT_TRUE(nobody->empty());

  auto alice = ledger_->TransfersForAccount(kAlice);
  ASSERT_OK(alice);
  std::vector<std::string> ids;
  for (const TransferRecord& r : *alice) ids.push_back(r.transfer.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"fund-0", "a2b", "b2a"}));
  EXPECT_TRUE(Exists("a2b"));
  EXPECT_TRUE(Exists("b2nobody"));

  // Per side, whether it is filed: the bank (no history) funded Alice (history).
  auto filed = store_->Execute(
      "SELECT id, debit_history, credit_history FROM ledger_transfers ORDER BY ts", {}, store::Mode::kRead);
  ASSERT_OK(filed);
  std::vector<store::Row> expected;
  for (auto [id, debit, credit] : {std::tuple{"fund-0", 0, 1}, {"a2b", 1, 0}, {"b2a", 0, 1}, {"b2nobody", 0, 0}}) {
    expected.push_back({store::Value(std::string(id)), store::Value(int64_t{debit}), store::Value(int64_t{credit})});
  }
  EXPECT_EQ(filed->rows, expected);
}

TEST_P(LedgerTest, TimestampsAreUniqueAndIncreaseEvenIfTheClockStands) {
  Fund(kAlice, 1'000);
  std::vector<Transfer> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(Move("ts-" + std::to_string(i), kAlice, kBob, 1));
  auto results = ledger_->CreateTransfers(batch);
  ASSERT_OK(results);
  now_ -= 3600 * kSecond;  // the clock steps back: timestamps must not
  TransferResult later = One(Move("ts-late", kAlice, kBob, 1));
  for (size_t i = 1; i < results->size(); ++i) EXPECT_LT((*results)[i - 1].timestamp, (*results)[i].timestamp);
  EXPECT_GT(later.timestamp, results->back().timestamp);
}

// Many threads, random transfers, holds, posts and voids among accounts that
// may not go negative: everything balances and no account is overdrawn.
TEST_P(LedgerTest, ConcurrentTransfersConserveTotals) {
  constexpr int kAccounts = 12;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 400;
  std::vector<Account> accounts;
  for (int i = 0; i < kAccounts; ++i) accounts.push_back(MakeAccount(100 + i, account_flags::kDebitsMustNotExceedCredits));
  ASSERT_OK(ledger_->CreateAccounts(accounts));
  for (int i = 0; i < kAccounts; ++i) Fund(100 + i, 50'000);

  std::atomic<int> ok{0}, failed{0}, errors{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      std::mt19937_64 random(th);
      std::vector<std::future<Result<TransferResult>>> inflight;
      for (int i = 0; i < kPerThread; ++i) {
        int64_t from = 100 + static_cast<int64_t>(random() % kAccounts);
        int64_t to = 100 + static_cast<int64_t>((from - 100 + 1 + random() % (kAccounts - 1)) % kAccounts);
        std::string id = "c-" + std::to_string(th) + "-" + std::to_string(i);
        int64_t amount = 1 + static_cast<int64_t>(random() % 20'000);
        if (i % 4 == 1) {
          // Resolve the hold made just before: post or void it.
          inflight.push_back(ledger_->Submit(Resolve(id, "c-" + std::to_string(th) + "-" + std::to_string(i - 1),
                                                     random() % 2 ? transfer_flags::kPostPending
                                                                  : transfer_flags::kVoidPending)));
        } else if (i % 4 == 0) {
          inflight.push_back(ledger_->Submit(Hold(id, from, to, amount, 3600)));
        } else {
          inflight.push_back(ledger_->Submit(Move(id, from, to, amount)));
        }
        if (inflight.size() >= 16) {
          for (auto& f : inflight) {
            auto r = f.get();
            if (!r.ok()) ++errors;
            else if (r->ok()) ++ok;
            else ++failed;
          }
          inflight.clear();
        }
      }
      for (auto& f : inflight) {
        auto r = f.get();
        if (!r.ok()) ++errors;
        else if (r->ok()) ++ok;
        else ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(ok.load() + failed.load(), kThreads * kPerThread);
  EXPECT_GT(ok.load(), kThreads * kPerThread / 4);
  EXPECT_GT(failed.load(), 0);  // some overdrafts were refused

  int64_t held_or_posted = 0;
  for (int i = 0; i < kAccounts; ++i) {
    Account a = Get(100 + i);
    EXPECT_LE(a.debits_pending + a.debits_posted, a.credits_posted) << "account " << a.id;
    held_or_posted += a.credits_posted + a.credits_pending - a.debits_posted - a.debits_pending;
  }
  // Money only moved between these accounts after funding.
  EXPECT_EQ(held_or_posted, int64_t{kAccounts} * 50'000);
  Ledger::Stats stats = ledger_->stats();
  EXPECT_LT(stats.batches, stats.transfers);  // group commit shared commits
  Status invariants = ledger_->CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().detail;
}

// Two ledgers with their own stores on one database, as two processes would
// be: they race to spend the same money and never overdraw it.
TEST_P(LedgerTest, TwoLedgersOnOneDatabaseNeverDoubleSpend) {
  TwoLedgers two = OpenTwoLedgers();
  ASSERT_TRUE(two.a && two.b);
  auto replayed = two.b->CreateAccounts(two_ledger_accounts_);
  ASSERT_OK(replayed);
  for (const AccountResult& r : *replayed) EXPECT_TRUE(r.replayed);
  Transfer fund = Move("fund", kBank, kAlice, 100 * 1'000);
  ASSERT_OK(two.a->CreateTransfers(std::span<const Transfer>(&fund, 1)));

  // Each side tries to spend 1,000 x 100 from Alice's 100,000: 200 tries, 100 can succeed.
  std::atomic<int> ok{0};
  auto spend = [&](Ledger& ledger, const std::string& side) {
    std::vector<std::future<Result<TransferResult>>> futures;
    for (int i = 0; i < 100; ++i) futures.push_back(ledger.Submit(Move(side + std::to_string(i), kAlice, kBob, 1'000)));
    for (auto& f : futures) {
      auto r = f.get();
      ASSERT_TRUE(r.ok()) << r.error().detail;
      if (r->ok()) ++ok;
    }
  };
  std::thread a([&] { spend(*two.a, "a-"); });
  std::thread b([&] { spend(*two.b, "b-"); });
  a.join();
  b.join();
  EXPECT_EQ(ok.load(), 100);
  auto alice = two.b->LookupAccount(kAlice);
  ASSERT_OK(alice);
  EXPECT_EQ((*alice)->debits_posted, 100 * 1'000);
  EXPECT_EQ((*alice)->available(), 0);
  Status invariants = two.a->CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().detail;
}

// A ledger keeps the accounts its last write transaction left for the next
// one, trusted only while ledger_meta's write stamp is the one that
// transaction wrote (AccountCache). Another ledger on the same database
// (another process) and a write rolled back to a savepoint must each make it
// read the accounts afresh; a stale balance would let Alice overspend here.
TEST_P(LedgerTest, CachedBalancesAreNotTrustedAfterAnotherWriterOrARollback) {
  TwoLedgers two = OpenTwoLedgers();
  ASSERT_TRUE(two.a && two.b);
  auto one = [](Ledger& ledger, const Transfer& t) {
    auto results = ledger.CreateTransfers(std::span<const Transfer>(&t, 1));
    EXPECT_TRUE(results.ok());
    return results.ok() ? results->at(0).code : TransferCode::kOverflow;
  };
  ASSERT_EQ(one(*two.a, Move("fund-1", kBank, kAlice, 1'000)), TransferCode::kOk);
  EXPECT_EQ(one(*two.a, Move("a-1", kAlice, kBob, 600)), TransferCode::kOk);  // a now holds Alice at 400
  EXPECT_EQ(one(*two.b, Move("b-1", kAlice, kBob, 300)), TransferCode::kOk);  // 100 left
  EXPECT_EQ(one(*two.a, Move("a-2", kAlice, kBob, 200)), TransferCode::kExceedsCredits);
  EXPECT_EQ(one(*two.a, Move("a-3", kAlice, kBob, 100)), TransferCode::kOk);
  EXPECT_EQ(one(*two.b, Move("b-2", kAlice, kBob, 1)), TransferCode::kExceedsCredits);

  ASSERT_EQ(one(*two.a, Move("fund-2", kBank, kAlice, 1'000)), TransferCode::kOk);
  auto tx = two.store_a->Begin(store::Mode::kWrite);
  ASSERT_OK(tx);
  ASSERT_OK((*tx)->Execute("SAVEPOINT undone"));
  std::vector<Transfer> undone = {Move("r-1", kAlice, kBob, 900)};
  auto applied = two.a->ApplyInTransaction(**tx, undone);
  ASSERT_OK(applied);
  EXPECT_TRUE((*applied)[0].ok());
  ASSERT_OK((*tx)->Execute("ROLLBACK TO SAVEPOINT undone"));
  std::vector<Transfer> kept = {Move("r-2", kAlice, kBob, 1'000)};
  applied = two.a->ApplyInTransaction(**tx, kept);
  ASSERT_OK(applied);
  EXPECT_TRUE((*applied)[0].ok()) << "the 900 rolled back must not count";
  ASSERT_TRUE((*tx)->Commit().ok());
  tx->reset();

  EXPECT_EQ(one(*two.b, Move("b-3", kAlice, kBob, 1)), TransferCode::kExceedsCredits);
  auto alice = two.b->LookupAccount(kAlice);
  ASSERT_OK(alice);
  EXPECT_EQ((*alice)->debits_posted, 600 + 300 + 100 + 1'000);
  EXPECT_EQ((*alice)->available(), 0);
  Status invariants = two.a->CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().detail;
}

TEST_P(LedgerTest, SubmitAsyncAnswersAfterCommit) {
  Fund(kAlice, 100);
  std::promise<Result<TransferResult>> answered;
  ledger_->SubmitAsync(Move("async", kAlice, kBob, 40), [&](Result<TransferResult> r) { answered.set_value(r); });
  auto r = answered.get_future().get();
  ASSERT_OK(r);
  EXPECT_TRUE(r->ok());
  // Visible to a fresh read as soon as it was answered.
  auto record = ledger_->LookupTransfer("async");
  ASSERT_OK(record);
  EXPECT_TRUE(record->has_value());
}

// A call bigger than one batch is split across commits and still applied in
// order: each hold's post lands in a later batch than the hold.
TEST_P(LedgerTest, CallsLargerThanABatchKeepTheirOrder) {
  Fund(kAlice, 10'000);
  Options small;
  small.max_batch = 3;
  auto ledger = Ledger::Open(*store_, small);
  ASSERT_OK(ledger);
  std::vector<Transfer> transfers;
  for (int i = 0; i < 5; ++i) {
    transfers.push_back(Hold("sb-h" + std::to_string(i), kAlice, kBob, 100));
    transfers.push_back(Move("sb-m" + std::to_string(i), kAlice, kBob, 10));
    transfers.push_back(Resolve("sb-p" + std::to_string(i), "sb-h" + std::to_string(i), transfer_flags::kPostPending));
    transfers.push_back(Resolve("sb-v" + std::to_string(i), "sb-h" + std::to_string(i), transfer_flags::kVoidPending));
  }
  auto results = (*ledger)->CreateTransfers(transfers);
  ASSERT_OK(results);
  for (size_t i = 0; i < results->size(); ++i) {
    TransferCode expected = i % 4 == 3 ? TransferCode::kPendingTransferAlreadyPosted : TransferCode::kOk;
    EXPECT_EQ((*results)[i].code, expected) << transfers[i].id;
    if (i > 0) {
      EXPECT_LT((*results)[i - 1].timestamp, (*results)[i].timestamp);
    }
  }
  EXPECT_GE((*ledger)->stats().batches, 7);  // 20 transfers, at most 3 per commit
  EXPECT_EQ(Get(kBob).credits_posted, 5 * 110);
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest, ::testing::ValuesIn(store::TestBackends()), store::BackendTestName);

class LedgerSchemaTest : public store::FreshStoreTest {};

// Migration 3: accounts and transfers an older version left keep their
// history: every account gets kHistory, every transfer is filed on both sides.
TEST_P(LedgerSchemaTest, AccountsThatExistedKeepTheirHistory) {
  ASSERT_OK(MigrateLedger(*store_, 2));
  ASSERT_OK(store_->Execute(
      "INSERT INTO ledger_accounts (id, ledger, code, owner, flags, user_data, debits_pending, debits_posted, "
      "credits_pending, credits_posted, ts) VALUES (1, 1, 10, 'NBE', 0, 'bank', 0, 700, 0, 0, 1), "
      "(2, 1, 10, 'NBE', 1, 'alice', 0, 0, 0, 700, 2)"));
  ASSERT_OK(store_->Execute(
      "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, flags, pending_id, "
      "timeout_seconds, code, user_data, user_data_64, result, ts, hold_state, expires_at, resolved_at) "
      "VALUES ('old', 1, 2, 700, 0, '', 0, 1, '', 0, 0, 3, 0, 0, 0)"));
  ASSERT_OK(store_->Execute("UPDATE ledger_meta SET last_ts = 3"));

  auto ledger = Ledger::Open(*store_);
  ASSERT_OK(ledger);
  auto accounts = (*ledger)->LookupAccounts(std::vector<int64_t>{1, 2});
  ASSERT_OK(accounts);
  ASSERT_EQ(accounts->size(), 2u);
  EXPECT_EQ((*accounts)[0].flags, account_flags::kHistory);
  EXPECT_EQ((*accounts)[1].flags, account_flags::kDebitsMustNotExceedCredits | account_flags::kHistory);
  for (int64_t id : {1, 2}) {
    auto listed = (*ledger)->TransfersForAccount(id);
    ASSERT_OK(listed);
    ASSERT_EQ(listed->size(), 1u) << "account " << id;
    EXPECT_EQ(listed->front().transfer.id, "old");
  }
  // New transfers between them are filed as the flags say.
  Transfer back = Move("back", 2, 1, 200);
  auto applied = (*ledger)->CreateTransfers(std::span<const Transfer>(&back, 1));
  ASSERT_OK(applied);
  EXPECT_EQ(applied->at(0).code, TransferCode::kOk);
  auto listed = (*ledger)->TransfersForAccount(2);
  ASSERT_OK(listed);
  EXPECT_EQ(listed->size(), 2u);
  ASSERT_OK((*ledger)->CheckInvariants());
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerSchemaTest, ::testing::ValuesIn(store::TestBackends()),
                         store::BackendTestName);

TEST(LedgerCodes, EveryCodeHasArabicAndEnglishMessages) {
  for (int c = 0; c <= static_cast<int>(TransferCode::kPendingAmountMismatch); ++c) {
    std::string_view name = CodeName(static_cast<TransferCode>(c));
    EXPECT_NE(name, "ledger.unknown") << c;
    auto message = FindMessage(name);
    ASSERT_TRUE(message.has_value()) << name;
    EXPECT_FALSE(message->ar.empty());
    EXPECT_FALSE(message->en.empty());
    EXPECT_EQ(ToError(static_cast<TransferCode>(c)).code, name);
  }
  for (int c = 0; c <= static_cast<int>(AccountCode::kExistsWithDifferentFields); ++c) {
    std::string_view name = CodeName(static_cast<AccountCode>(c));
    EXPECT_NE(name, "ledger.unknown") << c;
    EXPECT_TRUE(FindMessage(name).has_value()) << name;
  }
  for (const char* code : {"ledger.closed", "ledger.invariant_violated", "ledger.history_limit_invalid"}) {
    EXPECT_TRUE(FindMessage(code).has_value()) << code;
  }
}

}  // namespace
}  // namespace lahza::ledger
