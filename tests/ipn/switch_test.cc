// The switch end to end on both storage backends: every state and failure
// path, reconciliation, operator flows, limits under concurrency, idempotent
// retries, settlement and conservation of money. Real store, real ledger,
// real in-process institutions; faults are injected at the switch's links.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <thread>

#include "core/cairo_time.h"
#include "core/card.h"
#include "core/ir_reference.h"
#include "ipn/switch.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "store/test_stores.h"
#include "ipn/maintained_counts.h"

namespace lahza::ipn {
namespace {

// A Luhn-valid card number starting with `bin`.
std::string CardWithBin(const std::string& bin, const std::string& middle) {
  std::string body = bin + middle;
  body.resize(15, '0');
  for (char check = '0'; check <= '9'; ++check) {
    if (PassesLuhn(body + check)) return body + check;
  }
  return {};
}

std::vector<std::string> Events(const TransactionView& v) {
  std::vector<std::string> out;
  for (const auto& e : v.timeline) out.push_back(e.event);
  return out;
}

class SwitchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    store_ = store::FreshStore(GetParam());
    ASSERT_NE(store_, nullptr);
    auto ledger = ledger::Ledger::Open(*store_);
    ASSERT_TRUE(ledger.ok()) << ledger.error().code << " " << ledger.error().detail;
    ledger_ = std::move(*ledger);
    Reopen(SwitchOptions{});
  }

  void TearDown() override {
    sw_.reset();
    ledger_.reset();
    store_.reset();
  }

  // Limits count per Cairo day and month: without a fixed clock a run across
  // Cairo midnight would split a test's usage over two days.
  void Reopen(SwitchOptions options) {
    if (options.clock == nullptr) options.clock = &clock_;
    sw_.reset();
    auto opened = Switch::Open(*store_, *ledger_, std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.error().code << " " << opened.error().detail;
    sw_ = std::move(*opened);
  }

  AccountInfo Open(const std::string& participant, const std::string& number, const std::string& name_en,
                   const std::string& name_ar, const std::string& mobile, int64_t balance,
                   const std::string& card = "") {
    NewAccount a{number, card, name_ar, name_en, mobile, balance};
    auto opened = sw_->institution(participant)->OpenAccount(a);
    EXPECT_TRUE(opened.ok()) << opened.error().code << " " << opened.error().detail;
    return opened.ok() ? *opened : AccountInfo{};
  }

  int64_t Available(const std::string& participant, const std::string& number) {
    auto available = sw_->institution(participant)->Available(number);
    EXPECT_TRUE(available.ok()) << available.error().code;
    return available.ok() ? *available : -1;
  }

  // Mona at NBE (EGP 10,000) pays; Karim at CIB receives.
  void World() {
    Open("NBE", "1001", "Mona Ali Hassan", "منى علي حسن", "01001234567", 1'000'000);
    Open("CIB", "2001", "Karim Samir", "كريم سمير", "01201234567", 50'000);
  }

  SendRequest ToCib(int64_t amount, const std::string& request_id) {
    SendRequest r;
    r.user_id = "user-mona";
    r.client_request_id = request_id;
    r.payer_participant = "NBE";
    r.payer_account = "1001";
    r.payee = PayeeId{PayeeKind::kAccountNumber, "2001", "CIB"};
    r.amount = amount;
    return r;
  }

  TransactionView MustSend(const SendRequest& r) {
    auto sent = sw_->Send(r);
    EXPECT_TRUE(sent.ok()) << sent.error().code << " " << sent.error().detail;
    return sent.ok() ? *sent : TransactionView{};
  }

  // The ledger's invariants, and what the switch keeps counted with every
  // change (traffic counts, settlement flows) against the rows it counts.
  void ExpectNetworkHealthy() {
    auto check = ledger_->CheckInvariants();
    EXPECT_TRUE(check.ok()) << check.error().detail;
    auto totals = ledger_->GetTotals();
    ASSERT_TRUE(totals.ok());
    EXPECT_EQ(totals->debits_posted, totals->credits_posted);
    EXPECT_EQ(totals->debits_pending, totals->credits_pending);
    ipn::ExpectMaintainedCountsMatch(*store_, *sw_);
  }

  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  }

  void ExpectTrafficCountsEveryTransfer() { ipn::ExpectTrafficCountsEveryTransfer(*store_, *sw_); }

  ManualClock clock_{FromCairo(2026, 11, 25, 12, 0).value()};  // a Cairo noon
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<Switch> sw_;
};

// A direct send stores neither its first timeline steps nor its first
// notifications: both follow from its row. Read back they are what the send
// answered; later steps (a dispute, a reversal) are stored, numbered after
// them; a failed direct send reads as failed, with its one notification.
TEST_P(SwitchTest, DirectSendsDeriveTheirFirstStepsAndNotificationsFromTheirRow) {
  World();
  TransactionView v = MustSend(ToCib(100'000, "derived"));
  ASSERT_EQ(v.state, TransferState::kCompleted);
  auto stored = [&](const char* table) {
    auto rows = store_->Execute(std::string("SELECT COUNT(*) FROM ") + table + " WHERE ir = $1",
                                std::vector<store::Value>{v.ir}, store::Mode::kRead);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? store::AsInt(rows->rows[0][0]) : -1;
  };
  EXPECT_EQ(stored("ipn_timeline"), 0);
  EXPECT_EQ(stored("ipn_outbox"), 0);
  auto read = sw_->GetTransaction(v.ir);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->timeline.size(), v.timeline.size());
  for (size_t i = 0; i < v.timeline.size(); ++i) {
    EXPECT_EQ(read->timeline[i].seq, v.timeline[i].seq);
    EXPECT_EQ(read->timeline[i].at_ms, v.timeline[i].at_ms);
    EXPECT_EQ(read->timeline[i].state, v.timeline[i].state);
    EXPECT_EQ(read->timeline[i].event, v.timeline[i].event);
    EXPECT_EQ(read->timeline[i].actor, v.timeline[i].actor);
  }
  auto notes = sw_->NotificationsFor(v.ir);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ((*notes)[0].id, v.ir + "/received/payee");
  EXPECT_EQ((*notes)[0].account, "2001");
  EXPECT_EQ((*notes)[1].id, v.ir + "/sent/payer");
  EXPECT_EQ((*notes)[1].user_id, v.user_id);
  EXPECT_EQ((*notes)[1].created_ms, v.updated_ms);

  ASSERT_TRUE(sw_->Dispute(v.ir, "agent.nour", "customer says wrong payee").ok());
  auto reversed = sw_->Reverse(v.ir, "supervisor.amr", "confirmed fraud");
  ASSERT_TRUE(reversed.ok()) << reversed.error().code;
  EXPECT_EQ(Events(*reversed), (std::vector<std::string>{"initiated", "debited", "credited", "completed",
                                                        "dispute_opened", "reversed_by_operator"}));
  for (size_t i = 0; i < reversed->timeline.size(); ++i) EXPECT_EQ(reversed->timeline[i].seq, static_cast<int64_t>(i + 1));
  EXPECT_EQ(stored("ipn_timeline"), 2);
  auto later = sw_->NotificationsFor(v.ir);
  ASSERT_TRUE(later.ok());
  ASSERT_GE(later->size(), 3u);
  EXPECT_EQ(later->back().kind, "reversed");

  SendRequest too_much = ToCib(5'000'000, "derived-failed");
  TransactionView f = MustSend(too_much);
  ASSERT_EQ(f.state, TransferState::kFailed);
  auto failed = sw_->GetTransaction(f.ir);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(Events(*failed), (std::vector<std::string>{"initiated", "debit_failed"}));
  EXPECT_EQ(failed->timeline.back().detail, "ipn.insufficient_funds");
  auto failed_notes = sw_->NotificationsFor(f.ir);
  ASSERT_TRUE(failed_notes.ok());
  ASSERT_EQ(failed_notes->size(), 1u);
  EXPECT_EQ((*failed_notes)[0].kind, "failed");
  ExpectNetworkHealthy();
}

// SendAsync, for a thread that must not wait: a direct send is answered by
// the writer once durable, exactly as Send would; failed checks and replays
// at once, on the caller's thread; a send that needs the step-by-step path is
// not started at all (false, nothing written), for the caller to Send it
// where it may block.
TEST_P(SwitchTest, SendAsyncAnswersDirectSendsAfterTheCommitAndLeavesTheRestToSend) {
  World();
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<Result<TransactionView>> answer;
  std::thread::id answered_on;
  auto send_async = [&](SendRequest r) {
    answer.reset();
    return sw_->SendAsync(std::make_shared<const SendRequest>(std::move(r)), [&](Result<TransactionView> view) {
      std::lock_guard lock(mutex);
      answer = std::move(view);
      answered_on = std::this_thread::get_id();
      answered.notify_all();
    });
  };
  auto wait = [&] {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(answered.wait_for(lock, std::chrono::seconds(10), [&] { return answer.has_value(); }));
  };

  ASSERT_TRUE(send_async(ToCib(100'000, "async-1")));
  wait();
  ASSERT_TRUE(answer->ok()) << answer->error().code;
  const TransactionView sent = **answer;
  EXPECT_EQ(sent.state, TransferState::kCompleted);
  EXPECT_NE(answered_on, std::this_thread::get_id()) << "the writer answers a direct send";
  auto read = sw_->GetTransaction(sent.ir);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->state, TransferState::kCompleted);
  EXPECT_EQ(Available("CIB", "2001"), 50'000 + 100'000);

  // A replay: the writer's insert finds the earlier send, and the answer is
  // that send, from the writer's thread; nothing more moves.
  ASSERT_TRUE(send_async(ToCib(100'000, "async-1")));
  wait();
  ASSERT_TRUE(answer->ok()) << answer->error().code;
  EXPECT_EQ((*answer)->ir, sent.ir);
  EXPECT_EQ((*answer)->state, TransferState::kCompleted);
  EXPECT_EQ(Available("CIB", "2001"), 50'000 + 100'000);
  // The same request id with another amount: refused, by the same route.
  ASSERT_TRUE(send_async(ToCib(100'001, "async-1")));
  wait();
  ASSERT_FALSE(answer->ok());
  EXPECT_EQ(answer->error().code, "ipn.idempotency_mismatch");
  // A replay whose checks fail now (its amount is over a per-transfer limit
  // lowered since) still answers as its request did, and at once: the
  // failed check looks for an earlier answer before it refuses.
  const std::shared_ptr<const Policy> usual = sw_->policy();
  Policy lowered = *usual;
  lowered.user_limits.per_transaction = 50'000;
  ASSERT_TRUE(sw_->SetPolicy(lowered).ok());
  ASSERT_TRUE(send_async(ToCib(100'000, "async-1")));
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->ok()) << answer->error().code;
  EXPECT_EQ((*answer)->ir, sent.ir);
  ASSERT_TRUE(send_async(ToCib(100'000, "async-2")));
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->ok());
  EXPECT_EQ(answer->error().code, "ipn.limit_per_transaction");
  ASSERT_TRUE(sw_->SetPolicy(*usual).ok());

  // A refused check: answered before SendAsync returns.
  ASSERT_TRUE(send_async(ToCib(0, "async-zero")));
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->ok());
  EXPECT_EQ(answer->error().code, "ipn.amount_invalid");

  // The payee's bank down: the step-by-step path, left to Send.
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kDown}).ok());
  EXPECT_FALSE(send_async(ToCib(100'000, "async-down")));
  EXPECT_FALSE(answer.has_value());
  auto none = store_->Execute("SELECT COUNT(*) FROM ipn_transactions WHERE client_request_id = 'async-down'", {},
                              store::Mode::kRead);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(store::AsInt(none->rows[0][0]), 0);
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{}).ok());
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, CompletedTransferMovesAmountAndFeeAndRecordsTimeline) {
  World();
  std::vector<Notification> seen;
  std::mutex seen_mutex;
  sw_->SetNotifier([&](const Notification& n) {
    std::lock_guard lock(seen_mutex);
    seen.push_back(n);
  });
  TransactionView v = MustSend(ToCib(250'000, "r1"));  // EGP 2,500 -> fee EGP 2.50
  EXPECT_EQ(v.state, TransferState::kCompleted);
  EXPECT_TRUE(IrReference::Parse(v.ir).ok());
  EXPECT_EQ(v.fee, 250);
  EXPECT_EQ(v.payee_account, "2001");
  EXPECT_EQ(v.payee_masked_name_en, "Ka*** S****");
  EXPECT_EQ(Events(v), (std::vector<std::string>{"initiated", "debited", "credited", "completed"}));
  for (size_t i = 1; i < v.timeline.size(); ++i) EXPECT_GE(v.timeline[i].at_ms, v.timeline[i - 1].at_ms);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 250'000 - 250);
  EXPECT_EQ(Available("CIB", "2001"), 50'000 + 250'000);
  auto read = sw_->GetTransaction(v.ir);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->state, TransferState::kCompleted);
  EXPECT_EQ(read->timeline.size(), 4u);
  auto outbox = sw_->NotificationsFor(v.ir);
  ASSERT_TRUE(outbox.ok());
  ASSERT_EQ(outbox->size(), 2u);
  ASSERT_EQ(seen.size(), 2u);
  std::set<std::string> kinds{seen[0].kind, seen[1].kind};
  EXPECT_EQ(kinds, (std::set<std::string>{"sent", "received"}));
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, RoutesEveryIdentifierKindAndMasksNames) {
  World();
  AccountInfo nbe2 = Open("NBE", "1002", "Omar Nabil", "عمر نبيل", "01001112222", 0);
  Open("VFCASH", "", "Sara Adel", "سارة عادل", "01012345678", 0);
  std::string card = CardWithBin("507803", "12345678");
  Open("MEEZA", "M-1", "Hoda Fathy", "هدى فتحي", "01122223333", 0, card);
  ASSERT_TRUE(sw_->RegisterIpa("Karim.Samir@instapay", "CIB", "2001", "01201234567").ok());
  ASSERT_TRUE(sw_->SetDefaultAccount("+201001112222", "NBE", "1002").ok());

  struct Case {
    PayeeId payee;
    std::string participant, account, masked_ar;
  } cases[] = {
      {{PayeeKind::kIpa, "karim.samir", ""}, "CIB", "2001", "كر** س***"},
      {{PayeeKind::kMobile, "01001112222", ""}, "NBE", "1002", "عم* ن***"},
      {{PayeeKind::kWallet, "+20 101 234 5678", ""}, "VFCASH", "01012345678", "سا** ع***"},
      {{PayeeKind::kIban, nbe2.iban, ""}, "NBE", "1002", "عم* ن***"},
      {{PayeeKind::kCard, card, ""}, "MEEZA", "M-1", "هد* ف***"},
      {{PayeeKind::kAccountNumber, "2001", "CIB"}, "CIB", "2001", "كر** س***"},
  };
  int n = 0;
  for (const auto& c : cases) {
    auto found = sw_->Lookup(c.payee);
    ASSERT_TRUE(found.ok()) << PayeeKindName(c.payee.kind) << " " << found.error().code;
    EXPECT_EQ(found->participant, c.participant);
    EXPECT_EQ(found->account_number, c.account);
    EXPECT_EQ(found->masked_name_ar, c.masked_ar);
    SendRequest r = ToCib(10'000, "kind-" + std::to_string(n++));
    r.payee = c.payee;
    TransactionView v = MustSend(r);
    EXPECT_EQ(v.state, TransferState::kCompleted) << PayeeKindName(c.payee.kind) << " " << v.error_code;
    EXPECT_EQ(v.payee_participant, c.participant);
    EXPECT_EQ(v.payee_account, c.account);
  }
  EXPECT_EQ(Available("VFCASH", "01012345678"), 10'000);
  EXPECT_EQ(Available("MEEZA", "M-1"), 10'000);
  EXPECT_EQ(Available("NBE", "1002"), 20'000);
  // Unknown identifiers and bad input are errors before any transaction.
  EXPECT_EQ(sw_->Lookup({PayeeKind::kIpa, "nobody.here", ""}).error().code, "ipn.payee_not_found");
  EXPECT_EQ(sw_->Lookup({PayeeKind::kIpa, "a", ""}).error().code.rfind("ipa.", 0), 0u);
  EXPECT_EQ(sw_->Lookup({PayeeKind::kWallet, "0101", ""}).error().code.rfind("mobile.", 0), 0u);
  EXPECT_EQ(sw_->Lookup({PayeeKind::kCard, "4111111111111111", ""}).error().code, "ipn.payee_not_found");
  EXPECT_EQ(sw_->Lookup({PayeeKind::kAccountNumber, "2001", "ZZZ"}).error().code, "ipn.participant_unknown");
  EXPECT_EQ(sw_->Lookup({PayeeKind::kAccountNumber, "9999", "CIB"}).error().code, "ipn.payee_not_found");
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, LinkingNeedsTheSameMobileAndIpasAreUniqueAndPermanent) {
  World();
  EXPECT_TRUE(sw_->VerifyLink("NBE", "1001", "+20 100 123 4567").ok());
  EXPECT_EQ(sw_->VerifyLink("NBE", "1001", "01099999999").error().code, "ipn.link_mobile_mismatch");
  EXPECT_EQ(sw_->VerifyLink("NBE", "7777", "01001234567").error().code, "ipn.account_not_found");
  EXPECT_EQ(sw_->VerifyLink("XX", "1001", "01001234567").error().code, "ipn.participant_unknown");
  ASSERT_TRUE(sw_->RegisterIpa("mona.ali", "NBE", "1001", "01001234567").ok());
  EXPECT_TRUE(sw_->RegisterIpa("MONA.ALI@instapay", "NBE", "1001", "01001234567").ok());  // a retry
  EXPECT_EQ(sw_->RegisterIpa("mona.other", "NBE", "1001", "01001234567").error().code, "ipn.account_has_ipa");
  EXPECT_EQ(sw_->RegisterIpa("mona.ali", "CIB", "2001", "01201234567").error().code, "ipn.ipa_taken");
  EXPECT_EQ(sw_->RegisterIpa("karim.s", "CIB", "2001", "01001234567").error().code, "ipn.link_mobile_mismatch");
  ASSERT_TRUE(sw_->institution("NBE")->SetStatus("1001", AccountStatus::kClosed).ok());
  EXPECT_EQ(sw_->VerifyLink("NBE", "1001", "01001234567").error().code, "ipn.account_closed");
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kDown}).ok());
  EXPECT_EQ(sw_->VerifyLink("CIB", "2001", "01201234567").error().code, "ipn.participant_down");
}

TEST_P(SwitchTest, PayeeRejectsClosedAccountOrWrongNameAndTheHoldIsReleased) {
  World();
  SendRequest wrong_name = ToCib(100'000, "name");
  wrong_name.expected_payee_name = "Somebody Else";
  TransactionView v = MustSend(wrong_name);
  EXPECT_EQ(v.state, TransferState::kRejected);
  EXPECT_EQ(v.error_code, "ipn.name_mismatch");
  EXPECT_EQ(Events(v), (std::vector<std::string>{"initiated", "debited", "payee_rejected"}));
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);

  SendRequest right_name = ToCib(100'000, "name-ok");
  right_name.expected_payee_name = "  كريم   سمير ";
  EXPECT_EQ(MustSend(right_name).state, TransferState::kCompleted);

  ASSERT_TRUE(sw_->institution("CIB")->SetStatus("2001", AccountStatus::kClosed).ok());
  v = MustSend(ToCib(100'000, "closed"));
  EXPECT_EQ(v.state, TransferState::kRejected);
  EXPECT_EQ(v.error_code, "ipn.account_closed");
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 100'000 - 100);
  // A rejected transfer does not use up the customer's limits.
  auto usage = sw_->GetUsage("user-mona", "app");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->used_today, 100'000);
  auto notes = sw_->NotificationsFor(v.ir);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ((*notes)[0].kind, "rejected");
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, FailuresBeforeOrWithoutCreditLeaveThePayerWhole) {
  World();
  // Payee's institution down.
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kDown}).ok());
  TransactionView v = MustSend(ToCib(100'000, "down"));
  EXPECT_EQ(v.state, TransferState::kFailed);
  EXPECT_EQ(v.error_code, "ipn.participant_down");
  EXPECT_EQ(Events(v), (std::vector<std::string>{"initiated", "debited", "payee_unavailable"}));
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{}).ok());

  // Payer's institution down: nothing is held at all.
  ASSERT_TRUE(sw_->SetFault("NBE", Fault{Fault::Kind::kDown}).ok());
  v = MustSend(ToCib(100'000, "payer-down"));
  EXPECT_EQ(v.state, TransferState::kFailed);
  EXPECT_EQ(Events(v), (std::vector<std::string>{"initiated", "debit_failed"}));
  ASSERT_TRUE(sw_->SetFault("NBE", Fault{}).ok());

  // Insufficient funds (the fee counts too).
  v = MustSend(ToCib(1'000'000, "too-much"));
  EXPECT_EQ(v.state, TransferState::kFailed);
  EXPECT_EQ(v.error_code, "ipn.insufficient_funds");
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);

  // The payee's institution declines everything.
  Fault reject{Fault::Kind::kReject};
  reject.reject_code = "ipn.participant_rejected";
  ASSERT_TRUE(sw_->SetFault("CIB", reject).ok());
  v = MustSend(ToCib(100'000, "reject"));
  EXPECT_EQ(v.state, TransferState::kRejected);
  EXPECT_EQ(v.error_code, "ipn.participant_rejected");
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);
  EXPECT_EQ(Available("CIB", "2001"), 50'000);

  // Slow is only slow.
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kSlow, 30}).ok());
  auto start = std::chrono::steady_clock::now();
  v = MustSend(ToCib(100'000, "slow"));
  EXPECT_EQ(v.state, TransferState::kCompleted);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  EXPECT_EQ(sw_->GetFault("CIB").kind, Fault::Kind::kSlow);

  EXPECT_EQ(sw_->SetFault("NOPE", Fault{}).error().code, "ipn.participant_unknown");
  Fault bad{Fault::Kind::kReject};
  bad.reject_code = "made.up";
  EXPECT_EQ(sw_->SetFault("CIB", bad).error().code, "ipn.fault_invalid");
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, TimeoutAfterDebitWithLostRequestIsReversedByReconciliation) {
  World();
  Fault timeout{Fault::Kind::kTimeoutAfterDebit};
  timeout.credit_lands = false;
  ASSERT_TRUE(sw_->SetFault("CIB", timeout).ok());
  TransactionView v = MustSend(ToCib(100'000, "t1"));
  EXPECT_EQ(v.state, TransferState::kTimedOutAfterDebit);
  EXPECT_EQ(v.error_code, "ipn.participant_timeout");
  EXPECT_GT(v.hold_expires_ms, v.created_ms);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 100'000 - 100);  // held

  // While the payee is unreachable nothing can be decided.
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kDown}).ok());
  auto report = sw_->Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->unresolved, 1);
  EXPECT_EQ(sw_->GetTransaction(v.ir)->state, TransferState::kTimedOutAfterDebit);

  ASSERT_TRUE(sw_->SetFault("CIB", Fault{}).ok());
  report = sw_->Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->reversed, 1);
  auto after = sw_->GetTransaction(v.ir);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, TransferState::kReversed);
  EXPECT_EQ(Events(*after), (std::vector<std::string>{"initiated", "debited", "payee_timeout", "reconciled_reversed"}));
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);
  EXPECT_EQ(Available("CIB", "2001"), 50'000);
  // The fence: the lost credit arriving late is refused, so the payee can
  // never be paid for a transfer the payer got back.
  auto late = sw_->institution("CIB")->Credit(CreditOrder{v.ir, {AccountKeyKind::kAccountNumber, "2001"}, 100'000, ""});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "ipn.credit_fenced");
  EXPECT_EQ(Available("CIB", "2001"), 50'000);
  EXPECT_EQ(sw_->Reconcile()->examined, 0);
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, TimeoutAfterDebitWhenCreditLandedIsCompletedByReconciliation) {
  World();
  Fault timeout{Fault::Kind::kTimeoutAfterDebit};
  timeout.credit_lands = true;
  ASSERT_TRUE(sw_->SetFault("CIB", timeout).ok());
  TransactionView v = MustSend(ToCib(100'000, "t2"));
  EXPECT_EQ(v.state, TransferState::kTimedOutAfterDebit);
  EXPECT_EQ(Available("CIB", "2001"), 150'000);  // the payee has it already
  auto report = sw_->Reconcile();  // queries are answered even under this fault
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->completed, 1);
  auto after = sw_->GetTransaction(v.ir);
  EXPECT_EQ(after->state, TransferState::kCompleted);
  EXPECT_EQ(after->error_code, "");
  EXPECT_EQ(Events(*after), (std::vector<std::string>{"initiated", "debited", "payee_timeout", "reconciled_credited",
                                                      "completed"}));
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 100'000 - 100);
  EXPECT_EQ(Available("CIB", "2001"), 150'000);  // credited once
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, BackgroundReconcilerResolvesOnItsOwn) {
  World();
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kTimeoutAfterDebit}).ok());
  TransactionView v = MustSend(ToCib(100'000, "bg"));
  ASSERT_EQ(v.state, TransferState::kTimedOutAfterDebit);
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{}).ok());
  sw_->StartReconciler(std::chrono::milliseconds(20));
  TransferState state = v.state;
  // Up to 30 s for a loaded machine; the loop ends as soon as it resolves.
  for (int i = 0; i < 3000 && state == TransferState::kTimedOutAfterDebit; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    state = sw_->GetTransaction(v.ir)->state;
  }
  sw_->StopReconciler();
  EXPECT_EQ(state, TransferState::kReversed);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);
}

TEST_P(SwitchTest, OperatorsDisputeResolveAndReverse) {
  World();
  TransactionView v = MustSend(ToCib(100'000, "op1"));
  ASSERT_EQ(v.state, TransferState::kCompleted);
  EXPECT_EQ(sw_->Dispute(v.ir, "", "why").error().code, "ipn.operator_required");
  EXPECT_EQ(sw_->Dispute(v.ir, "agent.nour", "").error().code, "ipn.reason_required");
  EXPECT_EQ(sw_->ResolveDispute(v.ir, "agent.nour", "x").error().code, "ipn.invalid_state");
  auto disputed = sw_->Dispute(v.ir, "agent.nour", "customer says wrong payee");
  ASSERT_TRUE(disputed.ok());
  EXPECT_EQ(disputed->state, TransferState::kDisputed);
  EXPECT_EQ(disputed->timeline.back().actor, "operator:agent.nour");
  auto resolved = sw_->ResolveDispute(v.ir, "agent.nour", "payee confirmed correct");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->state, TransferState::kCompleted);

  ASSERT_TRUE(sw_->Dispute(v.ir, "agent.nour", "fraud report").ok());
  auto reversed = sw_->Reverse(v.ir, "supervisor.amr", "confirmed fraud");
  ASSERT_TRUE(reversed.ok()) << reversed.error().code;
  EXPECT_EQ(reversed->state, TransferState::kReversed);
  EXPECT_EQ(reversed->timeline.back().event, "reversed_by_operator");
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);  // amount and fee back
  EXPECT_EQ(Available("CIB", "2001"), 50'000);
  EXPECT_EQ(sw_->Reverse(v.ir, "supervisor.amr", "again").error().code, "ipn.invalid_state");

  // A reversal the payee cannot fund fails and changes nothing.
  TransactionView w = MustSend(ToCib(100'000, "op2"));
  Open("BM", "3001", "Ali Tarek", "علي طارق", "01501234567", 0);
  SendRequest spend;
  spend.user_id = "user-karim";
  spend.client_request_id = "spend";
  spend.payer_participant = "CIB";
  spend.payer_account = "2001";
  spend.payee = PayeeId{PayeeKind::kAccountNumber, "3001", "BM"};
  spend.amount = 140'000;
  ASSERT_EQ(MustSend(spend).state, TransferState::kCompleted);
  auto refused = sw_->Reverse(w.ir, "supervisor.amr", "late claim");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "ipn.reversal_insufficient_funds");
  EXPECT_EQ(sw_->GetTransaction(w.ir)->state, TransferState::kCompleted);
  EXPECT_EQ(sw_->GetTransaction(w.ir)->timeline.back().event, "reversal_failed");

  // Reversing a timed-out transfer decides it now.
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kTimeoutAfterDebit}).ok());
  TransactionView t = MustSend(ToCib(10'000, "op3"));
  ASSERT_EQ(t.state, TransferState::kTimedOutAfterDebit);
  auto manual = sw_->Reverse(t.ir, "agent.nour", "customer asked");
  ASSERT_TRUE(manual.ok());
  EXPECT_EQ(manual->state, TransferState::kReversed);

  auto failed_ir = MustSend(ToCib(999'999'999 / 1000, "op4")).ir;
  EXPECT_EQ(sw_->Reverse(failed_ir, "agent.nour", "x").error().code, "ipn.invalid_state");
  ExpectNetworkHealthy();
}

// The operations page's counts follow every kind of change: a direct send
// that completes and one that fails, step-by-step sends that are rejected or
// time out and are reversed, a dispute opened and resolved. The levels match
// the transactions (ExpectNetworkHealthy); the last minute counts each
// transfer once when recorded and once when it first fails, and a minute
// later is empty again.
TEST_P(SwitchTest, TrafficCountsFollowEveryStateChangeAndTheLastMinute) {
  World();
  const int64_t start_ms = NowMs();
  auto empty = sw_->Traffic(start_ms);
  ASSERT_TRUE(empty.ok()) << empty.error().code << " " << empty.error().detail;
  EXPECT_EQ(empty->total, 0);
  EXPECT_TRUE(empty->by_state.empty());
  EXPECT_EQ(empty->last_minute_transfers, 0);

  TransactionView completed = MustSend(ToCib(100'000, "ok"));
  ASSERT_EQ(completed.state, TransferState::kCompleted);
  ASSERT_EQ(MustSend(ToCib(5'000'000, "too-much")).state, TransferState::kFailed);
  Fault reject{Fault::Kind::kReject};
  reject.reject_code = "ipn.participant_rejected";
  ASSERT_TRUE(sw_->SetFault("CIB", reject).ok());
  ASSERT_EQ(MustSend(ToCib(10'000, "rejected")).state, TransferState::kRejected);
  Fault timeout{Fault::Kind::kTimeoutAfterDebit};
  timeout.credit_lands = false;
  ASSERT_TRUE(sw_->SetFault("CIB", timeout).ok());
  ASSERT_EQ(MustSend(ToCib(10'000, "timeout")).state, TransferState::kTimedOutAfterDebit);
  ExpectTrafficCountsEveryTransfer();
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{}).ok());
  ASSERT_EQ(sw_->Reconcile()->reversed, 1);  // timed out, then reversed: one failure
  ASSERT_TRUE(sw_->Dispute(completed.ir, "agent.nour", "customer says wrong payee").ok());
  ExpectTrafficCountsEveryTransfer();
  ASSERT_TRUE(sw_->ResolveDispute(completed.ir, "agent.nour", "payee confirmed").ok());
  ExpectNetworkHealthy();

  const int64_t end_ms = NowMs();
  auto now = sw_->Traffic(end_ms);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->total, 4);
  EXPECT_EQ(now->by_state, (std::vector<std::pair<TransferState, int64_t>>{{TransferState::kCompleted, 1},
                                                                          {TransferState::kRejected, 1},
                                                                          {TransferState::kFailed, 1},
                                                                          {TransferState::kReversed, 1}}));
  ASSERT_EQ(now->by_payee.size(), 1u);
  EXPECT_EQ(now->by_payee[0].participant, "CIB");
  EXPECT_EQ(now->by_payee[0].completed, 1);
  EXPECT_EQ(now->by_payee[0].failed, 3);
  if (end_ms - start_ms < 50'000) {  // all of it within the minute (a stalled machine may take longer)
    EXPECT_EQ(now->last_minute_transfers, 4);
    // Failed, rejected, timed out (its reversal is the same failure), and
    // the dispute: what an operator sees failing, not where it ended.
    EXPECT_EQ(now->last_minute_failures, 4);
  }
  auto later = sw_->Traffic(end_ms + 61'000);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->total, 4);
  EXPECT_EQ(later->last_minute_transfers, 0);
  EXPECT_EQ(later->last_minute_failures, 0);
}

TEST_P(SwitchTest, RetriesWithTheSameRequestIdReturnTheFirstResult) {
  World();
  TransactionView first = MustSend(ToCib(100'000, "same"));
  TransactionView again = MustSend(ToCib(100'000, "same"));
  EXPECT_EQ(first.ir, again.ir);
  EXPECT_EQ(again.state, TransferState::kCompleted);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 100'100);
  auto changed = sw_->Send(ToCib(200'000, "same"));
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().code, "ipn.idempotency_mismatch");

  // Many concurrent retries of one new request: one transfer, one IR.
  std::vector<std::thread> threads;
  std::vector<std::string> irs(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto sent = sw_->Send(ToCib(10'000, "burst"));
      if (sent.ok()) irs[i] = sent->ir;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& ir : irs) EXPECT_EQ(ir, irs[0]);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 100'100 - 10'050);
}

TEST_P(SwitchTest, LimitsPerTransactionDayMonthAndChannel) {
  ManualClock clock(*FromCairo(2026, 11, 30, 23, 0));
  SwitchOptions options;
  options.clock = &clock;
  options.policy.user_limits = Limits{50'000, 100'000, 150'000};
  options.policy.channel_limits["ussd"] = Limits{20'000, 30'000, 40'000};
  Reopen(options);
  World();
  EXPECT_EQ(sw_->Send(ToCib(50'001, "big")).error().code, "ipn.limit_per_transaction");
  EXPECT_EQ(MustSend(ToCib(50'000, "d1")).state, TransferState::kCompleted);
  EXPECT_EQ(MustSend(ToCib(50'000, "d2")).state, TransferState::kCompleted);
  EXPECT_EQ(sw_->Send(ToCib(1, "d3")).error().code, "ipn.limit_daily");
  auto usage = sw_->GetUsage("user-mona", "app");
  EXPECT_EQ(usage->used_today, 100'000);
  EXPECT_EQ(usage->left_today, 0);
  EXPECT_EQ(usage->left_this_month, 50'000);
  // Another user is not affected.
  SendRequest other = ToCib(10'000, "other");
  other.user_id = "user-other";
  EXPECT_EQ(MustSend(other).state, TransferState::kCompleted);

  clock.Advance(std::chrono::hours(2));  // 1 December, Cairo: new day and new month
  EXPECT_EQ(MustSend(ToCib(50'000, "d4")).state, TransferState::kCompleted);
  // A send stamped earlier (another process's clock, behind around midnight)
  // counts against the newer day and month: it never starts them over.
  other.client_request_id = "other-december";
  other.amount = 5'000;
  EXPECT_EQ(MustSend(other).state, TransferState::kCompleted);
  const Instant december = clock.Now();
  clock.Set(*FromCairo(2026, 11, 30, 23, 59));
  other.client_request_id = "other-late";
  other.amount = 3'000;
  EXPECT_EQ(MustSend(other).state, TransferState::kCompleted);
  clock.Set(december);
  EXPECT_EQ(sw_->GetUsage("user-other", "app")->used_today, 8'000);
  EXPECT_EQ(sw_->GetUsage("user-other", "app")->used_this_month, 8'000);
  clock.Set(*FromCairo(2026, 12, 2, 10, 0));
  EXPECT_EQ(MustSend(ToCib(50'000, "d5")).state, TransferState::kCompleted);
  clock.Set(*FromCairo(2026, 12, 3, 10, 0));
  EXPECT_EQ(MustSend(ToCib(50'000, "d6")).state, TransferState::kCompleted);
  clock.Set(*FromCairo(2026, 12, 4, 10, 0));
  EXPECT_EQ(sw_->Send(ToCib(1, "d7")).error().code, "ipn.limit_monthly");

  // Channel limits apply on top of the user's.
  SendRequest ussd = ToCib(20'001, "u1");
  ussd.user_id = "user-ussd";
  ussd.channel = "ussd";
  EXPECT_EQ(sw_->Send(ussd).error().code, "ipn.limit_per_transaction");
  ussd.amount = 20'000;
  EXPECT_EQ(MustSend(ussd).state, TransferState::kCompleted);
  ussd.client_request_id = "u2";
  ussd.amount = 10'001;
  EXPECT_EQ(sw_->Send(ussd).error().code, "ipn.limit_daily");
  EXPECT_EQ(sw_->GetUsage("user-ussd", "ussd")->left_today, 10'000);
}

TEST_P(SwitchTest, LimitsHoldUnderConcurrentSends) {
  SwitchOptions options;
  options.policy.user_limits = Limits{10'000, 100'000, 1'000'000};
  Reopen(options);
  World();
  constexpr int kThreads = 8, kEach = 5;  // 40 attempts of 5,000; room for 20
  std::atomic<int> completed{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto sent = sw_->Send(ToCib(5'000, "c" + std::to_string(t) + "-" + std::to_string(i)));
        if (sent.ok() && sent->state == TransferState::kCompleted) ++completed;
        else if (!sent.ok() && sent.error().code == "ipn.limit_daily") ++refused;
        else ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(completed.load(), 20);
  EXPECT_EQ(refused.load(), 20);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(sw_->GetUsage("user-mona", "app")->used_today, 100'000);
  EXPECT_EQ(Available("CIB", "2001"), 50'000 + 100'000);
  // Refused sends were undone inside shared batches: none is counted.
  ExpectNetworkHealthy();
}

Policy WithUserLimits(Limits limits) {
  Policy policy;
  policy.user_limits = limits;
  return policy;
}

TEST_P(SwitchTest, SetPolicyChangesLimitsAndFeesAtRunTime) {
  World();
  EXPECT_EQ(sw_->policy()->user_limits.per_transaction, 7'000'000);
  std::shared_ptr<const Policy> before = sw_->policy();

  Policy lower = WithUserLimits(Limits{20'000, 100'000, 500'000});
  lower.fee = FeeRule{0, 0, 0};
  lower.channel_limits["ussd"] = Limits{5'000, 10'000, 20'000};
  ASSERT_TRUE(sw_->SetPolicy(lower).ok());
  EXPECT_EQ(sw_->policy()->user_limits.per_transaction, 20'000);
  EXPECT_EQ(before->user_limits.per_transaction, 7'000'000) << "an old snapshot never changes under its holder";
  EXPECT_EQ(sw_->Send(ToCib(30'000, "over")).error().code, "ipn.limit_per_transaction");
  EXPECT_EQ(sw_->GetUsage("user-mona", "app")->limits.per_transaction, 20'000);
  EXPECT_EQ(sw_->GetUsage("user-mona", "ussd")->limits.daily, 10'000);
  TransactionView free = MustSend(ToCib(20'000, "at-limit"));
  EXPECT_EQ(free.state, TransferState::kCompleted);
  EXPECT_EQ(free.fee, 0) << "the new fee rule applies too";

  ASSERT_TRUE(sw_->SetPolicy(WithUserLimits(Limits{50'000, 100'000, 500'000})).ok());
  TransactionView raised = MustSend(ToCib(30'000, "over"));  // the same request, refused before, now passes
  EXPECT_EQ(raised.state, TransferState::kCompleted);
  EXPECT_EQ(raised.fee, 50);
  // The day's usage is kept across policy changes: 50,000 used of 100,000.
  EXPECT_EQ(sw_->GetUsage("user-mona", "app")->left_today, 50'000);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 20'000 - 30'050);
}

TEST_P(SwitchTest, InvalidPolicyIsRefusedAndTheOldOneKept) {
  World();
  ASSERT_TRUE(sw_->SetPolicy(WithUserLimits(Limits{20'000, 100'000, 500'000})).ok());
  Policy zero = WithUserLimits(Limits{0, 100'000, 500'000});
  Policy negative = WithUserLimits(Limits{20'000, -1, 500'000});
  Policy tx_over_day = WithUserLimits(Limits{200'000, 100'000, 500'000});
  Policy day_over_month = WithUserLimits(Limits{20'000, 600'000, 500'000});
  Policy channel_out_of_order = WithUserLimits(Limits{20'000, 100'000, 500'000});
  channel_out_of_order.channel_limits["ussd"] = Limits{50'000, 10'000, 20'000};
  Policy fee_min_over_max = WithUserLimits(Limits{20'000, 100'000, 500'000});
  fee_min_over_max.fee = FeeRule{10, 500, 100};
  Policy fee_over_amount = WithUserLimits(Limits{20'000, 100'000, 500'000});
  fee_over_amount.channel_fees["web"] = FeeRule{10'001, 0, 100};
  Policy huge = WithUserLimits(Limits{20'000, 100'000, Policy::kMaxLimit + 1});
  for (const Policy& bad : {zero, negative, tx_over_day, day_over_month, channel_out_of_order, fee_min_over_max,
                            fee_over_amount, huge}) {
    Status set = sw_->SetPolicy(bad);
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.error().code, "ipn.policy_invalid");
  }
  EXPECT_EQ(sw_->policy()->user_limits.per_transaction, 20'000);
  EXPECT_EQ(sw_->Send(ToCib(30'000, "still-refused")).error().code, "ipn.limit_per_transaction");
  Reopen(SwitchOptions{});  // nor was any of them stored
  EXPECT_EQ(sw_->policy()->user_limits.per_transaction, 20'000);
}

TEST_P(SwitchTest, StoredPolicySurvivesReopeningAndWinsOverOptions) {
  World();
  Policy set = WithUserLimits(Limits{20'000, 100'000, 500'000});
  set.channel_limits["ussd"] = Limits{5'000, 10'000, 20'000};
  set.fee = FeeRule{25, 100, 1'000};
  set.channel_fees["web"] = FeeRule{0, 0, 0};
  ASSERT_TRUE(sw_->SetPolicy(set).ok());
  SwitchOptions options;
  options.policy.user_limits = Limits{1'000'000, 2'000'000, 3'000'000};  // the default of a restart
  Reopen(options);
  std::shared_ptr<const Policy> loaded = sw_->policy();
  EXPECT_EQ(loaded->user_limits.per_transaction, 20'000);
  EXPECT_EQ(loaded->user_limits.daily, 100'000);
  EXPECT_EQ(loaded->user_limits.monthly, 500'000);
  ASSERT_EQ(loaded->channel_limits.count("ussd"), 1u);
  EXPECT_EQ(loaded->channel_limits.at("ussd").per_transaction, 5'000);
  EXPECT_EQ(loaded->fee.basis_points, 25);
  EXPECT_EQ(loaded->fee.min, 100);
  EXPECT_EQ(loaded->fee.max, 1'000);
  ASSERT_EQ(loaded->channel_fees.count("web"), 1u);
  EXPECT_EQ(loaded->channel_fees.at("web").max, 0);
  EXPECT_EQ(sw_->Send(ToCib(30'000, "after-restart")).error().code, "ipn.limit_per_transaction");
  EXPECT_EQ(MustSend(ToCib(10'000, "fee-after-restart")).fee, 100);

  // A stored row nobody can read stops Open instead of running on limits
  // nobody chose.
  sw_.reset();
  ASSERT_TRUE(store_->Execute("UPDATE ipn_policy SET body = $1 WHERE id = 1",
                              std::vector<store::Value>{store::Value(std::string("{\"user_limits\": 5}"))})
                  .ok());
  auto broken = Switch::Open(*store_, *ledger_, SwitchOptions{});
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, "ipn.policy_invalid");
}

// Two processes on one database (here: two switches on one store): a policy
// one of them stores reaches the other at its next reload, which its
// reconciler does every round.
TEST_P(SwitchTest, APolicyStoredByAnotherProcessIsTakenUpByReload) {
  World();
  SwitchOptions options;
  options.clock = &clock_;
  auto other = Switch::Open(*store_, *ledger_, options);
  ASSERT_TRUE(other.ok()) << other.error().code;
  std::shared_ptr<const Policy> before = (*other)->policy();
  ASSERT_TRUE(sw_->SetPolicy(WithUserLimits(Limits{20'000, 100'000, 500'000})).ok());
  EXPECT_EQ((*other)->policy()->user_limits.per_transaction, before->user_limits.per_transaction);
  ASSERT_TRUE((*other)->ReloadPolicy().ok());
  EXPECT_EQ((*other)->policy()->user_limits.per_transaction, 20'000);
  // Unchanged since: the snapshot is kept, not rebuilt.
  std::shared_ptr<const Policy> loaded = (*other)->policy();
  ASSERT_TRUE((*other)->ReloadPolicy().ok());
  EXPECT_EQ((*other)->policy().get(), loaded.get());

  ASSERT_TRUE(sw_->SetPolicy(WithUserLimits(Limits{30'000, 100'000, 500'000})).ok());
  (*other)->StartReconciler(std::chrono::milliseconds(10));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*other)->policy()->user_limits.per_transaction != 30'000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  (*other)->StopReconciler();
  EXPECT_EQ((*other)->policy()->user_limits.per_transaction, 30'000);
  EXPECT_EQ((*other)->Send(ToCib(40'000, "over-the-new-limit")).error().code, "ipn.limit_per_transaction");
}

// Sends racing policy changes: each is checked against one whole policy, so
// an amount between the two per-transaction limits either completes or is
// refused for that limit, never anything else.
TEST_P(SwitchTest, SendsRacingPolicyChangesSeeOneWholePolicy) {
  World();
  Policy loose = WithUserLimits(Limits{10'000, 10'000'000, 10'000'000});
  Policy tight = WithUserLimits(Limits{5'000, 10'000'000, 10'000'000});
  std::atomic<bool> done{false};
  std::atomic<int> completed{0}, refused{0}, other{0};
  std::thread flipper([&] {
    for (int i = 0; !done.load(); ++i) {
      EXPECT_TRUE(sw_->SetPolicy(i % 2 ? loose : tight).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto sent = sw_->Send(ToCib(7'000, "race" + std::to_string(t) + "-" + std::to_string(i)));
        if (sent.ok() && sent->state == TransferState::kCompleted) ++completed;
        else if (!sent.ok() && sent.error().code == "ipn.limit_per_transaction") ++refused;
        else ++other;
        (void)sw_->GetUsage("user-mona", "app");
      }
    });
  }
  for (auto& s : senders) s.join();
  done = true;
  flipper.join();
  EXPECT_EQ(completed.load() + refused.load(), 40);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - completed.load() * (7'000 + 50));
}

TEST_P(SwitchTest, ConcurrentTransfersConserveMoneyAndSettlementNetsToZero) {
  const std::vector<std::pair<std::string, std::string>> accounts = {
      {"NBE", "1001"}, {"NBE", "1002"}, {"CIB", "2001"}, {"BM", "3001"}, {"QNB", "4001"}, {"AAIB", "5001"}};
  int64_t opening = 0;
  int m = 0;
  for (const auto& [p, a] : accounts) {
    Open(p, a, "Customer " + a, "عميل " + a, "0100000000" + std::to_string(m++), 500'000);
    opening += 500'000;
  }
  ASSERT_TRUE(sw_->SetFault("QNB", Fault{Fault::Kind::kTimeoutAfterDebit, 0, true}).ok());
  constexpr int kThreads = 6, kEach = 15;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kEach; ++i) {
        auto from = accounts[rng() % accounts.size()];
        auto to = accounts[rng() % accounts.size()];
        if (from == to) continue;
        SendRequest r;
        r.user_id = "u-" + from.first + from.second;
        r.client_request_id = std::to_string(t) + "/" + std::to_string(i);
        r.payer_participant = from.first;
        r.payer_account = from.second;
        r.payee = PayeeId{PayeeKind::kAccountNumber, to.second, to.first};
        r.amount = 1'000 + static_cast<int64_t>(rng() % 20'000);
        if (sw_->Send(r).ok()) ++ok;
        if (i == kEach / 2 && t == 0) (void)sw_->SetFault("QNB", Fault{});  // switched at run time
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(ok.load(), 40);
  ASSERT_TRUE(sw_->Reconcile().ok());

  // Every piastre is somewhere: customers + fee income + in-flight clearing.
  int64_t customers = 0;
  for (const auto& [p, a] : accounts) customers += Available(p, a);
  int64_t fees = 0;
  {
    auto rows = store_->Execute(
        "SELECT COALESCE(SUM(fee), 0) FROM ipn_transactions WHERE state = 'completed'", {}, store::Mode::kRead);
    ASSERT_TRUE(rows.ok());
    fees = store::AsInt(rows->rows[0][0]);
  }
  EXPECT_EQ(customers + fees, opening);
  auto open_window = sw_->OpenWindowId();
  ASSERT_TRUE(open_window.ok());
  auto live = sw_->GetSettlementReport(*open_window);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->status, "open");
  EXPECT_EQ(live->net_sum, 0);
  auto report = sw_->CloseSettlementWindow();
  ASSERT_TRUE(report.ok()) << report.error().code;
  EXPECT_EQ(report->status, "settled");
  EXPECT_EQ(report->net_sum, 0);
  int64_t sent = 0, received = 0;
  for (const auto& p : report->positions) {
    sent += p.sent_amount;
    received += p.received_amount;
    EXPECT_EQ(p.net, p.received_amount - p.sent_amount);
  }
  EXPECT_EQ(sent, received);
  EXPECT_GT(sent, 0);
  EXPECT_EQ(*sw_->OpenWindowId(), *open_window + 1);
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, SettlementWindowPositionsAndLedgerPostings) {
  World();
  Open("CIB", "2002", "Nadia Fouad", "نادية فؤاد", "01201112222", 500'000);
  ASSERT_EQ(MustSend(ToCib(100'000, "s1")).state, TransferState::kCompleted);
  SendRequest back;
  back.user_id = "user-nadia";
  back.client_request_id = "s2";
  back.payer_participant = "CIB";
  back.payer_account = "2002";
  back.payee = PayeeId{PayeeKind::kAccountNumber, "1001", "NBE"};
  back.amount = 30'000;
  ASSERT_EQ(MustSend(back).state, TransferState::kCompleted);
  // A failed transfer does not settle.
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kDown}).ok());
  ASSERT_EQ(MustSend(ToCib(5'000, "s3")).state, TransferState::kFailed);
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{}).ok());

  auto report = sw_->CloseSettlementWindow();
  ASSERT_TRUE(report.ok());
  std::map<std::string, SettlementPosition> by;
  for (const auto& p : report->positions) by[p.participant] = p;
  EXPECT_EQ(by["NBE"].net, -70'000);
  EXPECT_EQ(by["CIB"].net, 70'000);
  EXPECT_EQ(by["NBE"].sent_count, 1);
  EXPECT_EQ(by["CIB"].received_count, 1);
  EXPECT_EQ(by["BM"].net, 0);
  ASSERT_EQ(report->bilateral.size(), 2u);
  for (const auto& b : report->bilateral) {
    EXPECT_EQ(b.count, 1);
    EXPECT_EQ(b.amount, b.from == "NBE" ? 100'000 : 30'000);
  }
  // The next window starts empty; reversing a settled transfer lands there.
  auto v = MustSend(ToCib(20'000, "s4"));
  ASSERT_TRUE(sw_->Reverse(v.ir, "ops", "test").ok());
  auto second = sw_->CloseSettlementWindow();
  ASSERT_TRUE(second.ok());
  for (const auto& p : second->positions) EXPECT_EQ(p.net, 0) << p.participant;
  EXPECT_EQ(sw_->GetSettlementReport(report->window_id)->status, "settled");
  EXPECT_EQ(sw_->GetSettlementReport(999).error().code, "ipn.window_not_found");
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, ReadsAndBadInputAreClearErrors) {
  World();
  EXPECT_EQ(sw_->GetTransaction("not a reference").error().code.rfind("ir.", 0), 0u);
  IrReferenceGenerator other(7);
  EXPECT_EQ(sw_->GetTransaction(other.Next().str()).error().code, "ipn.transaction_not_found");
  SendRequest r = ToCib(0, "zero");
  EXPECT_EQ(sw_->Send(r).error().code, "ipn.amount_invalid");
  r = ToCib(100, "");
  EXPECT_EQ(sw_->Send(r).error().code, "ipn.field_required");
  r = ToCib(100, std::string(100, 'x'));
  EXPECT_EQ(sw_->Send(r).error().code, "ipn.field_too_long");
  r = ToCib(100, "self");
  r.payee = PayeeId{PayeeKind::kAccountNumber, "1001", "NBE"};
  EXPECT_EQ(sw_->Send(r).error().code, "ipn.same_account");
  r = ToCib(100, "ghost-bank");
  r.payer_participant = "GHOST";
  EXPECT_EQ(sw_->Send(r).error().code, "ipn.participant_unknown");
  // Reading a transaction works by the digits alone, as people read it out.
  TransactionView v = MustSend(ToCib(100, "digits"));
  auto by_digits = sw_->GetTransaction(v.ir.substr(2));
  ASSERT_TRUE(by_digits.ok());
  EXPECT_EQ(by_digits->ir, v.ir);
}

TEST_P(SwitchTest, StateSurvivesReopening) {
  World();
  TransactionView v = MustSend(ToCib(100'000, "persist"));
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kTimeoutAfterDebit}).ok());
  TransactionView t = MustSend(ToCib(10'000, "persist-2"));
  Reopen(SwitchOptions{});  // faults are runtime only
  EXPECT_EQ(sw_->GetFault("CIB").kind, Fault::Kind::kNone);
  EXPECT_EQ(sw_->GetTransaction(v.ir)->state, TransferState::kCompleted);
  EXPECT_EQ(sw_->GetTransaction(t.ir)->state, TransferState::kTimedOutAfterDebit);
  EXPECT_EQ(MustSend(ToCib(100'000, "persist")).ir, v.ir);  // idempotency survives
  EXPECT_EQ(sw_->Reconcile()->reversed, 1);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 100'100);
}

// A switch that dies mid-transfer leaves a transaction in initiated, debited
// or credited. We recreate each of those situations in the database as a
// crash would leave it and check that reconciliation finishes them correctly.
TEST_P(SwitchTest, ReconciliationFinishesTransfersInterruptedByACrash) {
  World();
  // The row as a crash left it, and so the traffic counts, which change in
  // the same transaction as the row.
  auto set_state = [&](const std::string& ir, const std::string& state) {
    auto tx = store_->Begin(store::Mode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto r = (*tx)->Execute("UPDATE ipn_transactions SET state = $1, updated_ms = 0 WHERE ir = $2",
                            std::vector<store::Value>{store::Value(state), store::Value(ir)});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->affected, 1);
    ASSERT_TRUE((*tx)->Execute("DELETE FROM ipn_transfer_counts").ok());
    ASSERT_TRUE((*tx)->Execute("INSERT INTO ipn_transfer_counts (state, payee_participant, transfers) SELECT state, "
                               "payee_participant, COUNT(*) FROM ipn_transactions GROUP BY state, payee_participant")
                    .ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  };
  // (a) Crashed after the payer's hold, before the state was written.
  ASSERT_TRUE(sw_->SetFault("NBE", Fault{Fault::Kind::kDown}).ok());
  TransactionView a = MustSend(ToCib(100'000, "crash-a"));
  ASSERT_TRUE(sw_->SetFault("NBE", Fault{}).ok());
  set_state(a.ir, "initiated");
  ASSERT_TRUE(sw_->institution("NBE")->DebitHold(DebitOrder{a.ir, "1001", 100'000, 100, 3600}).ok());
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 100'100);
  // (b) Crashed after the debit, before asking the payee.
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kTimeoutAfterDebit, 0, false}).ok());
  TransactionView b = MustSend(ToCib(20'000, "crash-b"));
  set_state(b.ir, "debited");
  // (c) Crashed after the payee credited, before posting the hold.
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kTimeoutAfterDebit, 0, true}).ok());
  TransactionView c = MustSend(ToCib(30'000, "crash-c"));
  set_state(c.ir, "credited");
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{}).ok());

  auto report = sw_->Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->examined, 3);
  EXPECT_EQ(report->failed, 1);
  EXPECT_EQ(report->reversed, 1);
  EXPECT_EQ(report->completed, 1);
  EXPECT_EQ(sw_->GetTransaction(a.ir)->state, TransferState::kFailed);
  EXPECT_EQ(sw_->GetTransaction(a.ir)->timeline.back().event, "recovered_debit_cancelled");
  EXPECT_EQ(sw_->GetTransaction(b.ir)->state, TransferState::kReversed);
  EXPECT_EQ(sw_->GetTransaction(c.ir)->state, TransferState::kCompleted);
  // Only (c) moved money: 30,000 and its 50 piastre fee.
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 30'050);
  EXPECT_EQ(Available("CIB", "2001"), 50'000 + 30'000);
  // A debit arriving after the cancellation is refused.
  auto late = sw_->institution("NBE")->DebitHold(DebitOrder{b.ir, "1001", 20'000, 50, 3600});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "ipn.debit_fenced");
  ExpectNetworkHealthy();
}

// A healthy in-process send is decided in one commit (the direct path); a
// send with any fault goes step by step. Both must leave the same switch
// records, balances and reversals.
TEST_P(SwitchTest, DirectAndStepByStepSendsLeaveTheSameRecords) {
  World();
  TransactionView direct = MustSend(ToCib(100'000, "direct"));
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{Fault::Kind::kSlow, 1}).ok());  // forces the step-by-step path
  TransactionView stepped = MustSend(ToCib(100'000, "stepped"));
  ASSERT_TRUE(sw_->SetFault("CIB", Fault{}).ok());
  for (const TransactionView* v : {&direct, &stepped}) {
    auto read = sw_->GetTransaction(v->ir);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->state, TransferState::kCompleted);
    EXPECT_EQ(Events(*read), (std::vector<std::string>{"initiated", "debited", "credited", "completed"}));
    EXPECT_EQ(Events(*v), Events(*read));
    EXPECT_EQ(read->payee_account, "2001");
    EXPECT_EQ(read->payee_masked_name_en, v->payee_masked_name_en);
    EXPECT_EQ(read->payee_masked_name_ar, v->payee_masked_name_ar);
    EXPECT_EQ(read->payee_account, v->payee_account);
    EXPECT_EQ(read->fee, v->fee);
    EXPECT_EQ(read->updated_ms, v->updated_ms);
    for (size_t i = 0; i < read->timeline.size(); ++i) {
      EXPECT_EQ(read->timeline[i].seq, v->timeline[i].seq);
      EXPECT_EQ(read->timeline[i].actor, v->timeline[i].actor);
      EXPECT_EQ(read->timeline[i].at_ms, v->timeline[i].at_ms);
    }
    // The institutions' ledger entries: the step-by-step path holds and
    // posts; the direct path debits amount + fee at once and books the fee.
    if (v == &stepped) {
      auto hold = ledger_->LookupTransfer(v->ir + "/hold");
      ASSERT_TRUE(hold.ok() && hold->has_value());
      EXPECT_EQ((*hold)->hold_state, ledger::HoldState::kPosted);
      auto fee = ledger_->LookupTransfer(v->ir + "/fee");
      ASSERT_TRUE(fee.ok() && fee->has_value());
      EXPECT_EQ((*fee)->hold_state, ledger::HoldState::kPosted);
    } else {
      auto debit = ledger_->LookupTransfer(v->ir + "/debit");
      ASSERT_TRUE(debit.ok() && debit->has_value());
      EXPECT_TRUE((*debit)->result.ok());
      EXPECT_EQ((*debit)->transfer.amount, v->amount + v->fee);
      auto fee = ledger_->LookupTransfer(v->ir + "/fee-income");
      ASSERT_TRUE(fee.ok() && fee->has_value());
      EXPECT_EQ((*fee)->transfer.amount, v->fee);
      auto hold = ledger_->LookupTransfer(v->ir + "/hold");
      ASSERT_TRUE(hold.ok());
      EXPECT_FALSE(hold->has_value());
    }
    auto credit = ledger_->LookupTransfer(v->ir + "/credit");
    ASSERT_TRUE(credit.ok() && credit->has_value());
    EXPECT_TRUE((*credit)->result.ok());
    auto outbox = sw_->NotificationsFor(v->ir);
    ASSERT_TRUE(outbox.ok());
    EXPECT_EQ(outbox->size(), 2u);
  }
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 2 * (100'000 + direct.fee));
  EXPECT_EQ(Available("CIB", "2001"), 50'000 + 200'000);
  // Both can be reversed by an operator: amount and fee back to the payer.
  auto reversed = sw_->Reverse(direct.ir, "ops-1", "customer complaint");
  ASSERT_TRUE(reversed.ok()) << reversed.error().code;
  EXPECT_EQ(reversed->state, TransferState::kReversed);
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - (100'000 + direct.fee));
  EXPECT_EQ(Available("CIB", "2001"), 50'000 + 100'000);
  reversed = sw_->Reverse(stepped.ir, "ops-1", "customer complaint");
  ASSERT_TRUE(reversed.ok()) << reversed.error().code;
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);
  EXPECT_EQ(Available("CIB", "2001"), 50'000);
  auto settlement = sw_->CloseSettlementWindow();
  ASSERT_TRUE(settlement.ok());
  EXPECT_EQ(settlement->net_sum, 0);
  ExpectNetworkHealthy();
}

TEST_P(SwitchTest, DirectSendWithoutEnoughForTheFeeFailsWholeAndFreesItsLimits) {
  World();
  // Exactly the amount, not the fee: the debit of amount + fee is refused
  // and nothing moves.
  TransactionView v = MustSend(ToCib(1'000'000, "all-of-it"));
  EXPECT_EQ(v.state, TransferState::kFailed);
  EXPECT_EQ(v.error_code, "ipn.insufficient_funds");
  EXPECT_EQ(Events(v), (std::vector<std::string>{"initiated", "debit_failed"}));
  auto read = sw_->GetTransaction(v.ir);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->state, TransferState::kFailed);
  EXPECT_EQ(read->error_code, "ipn.insufficient_funds");
  EXPECT_EQ(read->payee_masked_name_en, "");
  EXPECT_EQ(Events(*read), Events(v));
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);
  EXPECT_EQ(Available("CIB", "2001"), 50'000);
  auto debit = ledger_->LookupTransfer(v.ir + "/debit");
  ASSERT_TRUE(debit.ok() && debit->has_value());
  EXPECT_EQ((*debit)->result.code, ledger::TransferCode::kExceedsCredits);
  auto credit = ledger_->LookupTransfer(v.ir + "/credit");
  ASSERT_TRUE(credit.ok());
  EXPECT_FALSE(credit->has_value());
  EXPECT_EQ(sw_->GetUsage("user-mona", "app")->used_today, 0);
  auto outbox = sw_->NotificationsFor(v.ir);
  ASSERT_TRUE(outbox.ok());
  ASSERT_EQ(outbox->size(), 1u);
  EXPECT_EQ((*outbox)[0].kind, "failed");
  // A retry of the same request is the same failed transfer, not a new try.
  TransactionView again = MustSend(ToCib(1'000'000, "all-of-it"));
  EXPECT_EQ(again.ir, v.ir);
  EXPECT_EQ(again.state, TransferState::kFailed);
  // The failed row keeps the payee's account only where routing knew it (an
  // account number, or an IPA's directory entry), and never the names; a
  // wallet's account is the wallet provider's to say, so it stays empty.
  EXPECT_EQ(v.payee_account, "2001");
  EXPECT_EQ(read->payee_account, "2001");
  ASSERT_TRUE(sw_->RegisterIpa("Karim.Samir@instapay", "CIB", "2001", "01201234567").ok());
  Open("VFCASH", "", "Sara Adel", "سارة عادل", "01012345678", 0);
  struct Case {
    PayeeId payee;
    std::string account;
  };
  for (const Case& c : {Case{{PayeeKind::kIpa, "karim.samir", ""}, "2001"},
                        Case{{PayeeKind::kWallet, "+20 101 234 5678", ""}, ""}}) {
    SendRequest r = ToCib(1'000'000, "all-of-it-" + c.payee.value);
    r.payee = c.payee;
    TransactionView failed = MustSend(r);
    EXPECT_EQ(failed.error_code, "ipn.insufficient_funds") << c.payee.value;
    auto direct_debit = ledger_->LookupTransfer(failed.ir + "/debit");  // the direct path's refused debit
    ASSERT_TRUE(direct_debit.ok() && direct_debit->has_value()) << c.payee.value;
    auto failed_read = sw_->GetTransaction(failed.ir);
    ASSERT_TRUE(failed_read.ok());
    for (const TransactionView* f : {&failed, &*failed_read}) {
      EXPECT_EQ(f->payee_account, c.account) << c.payee.value;
      EXPECT_EQ(f->payee_masked_name_ar, "") << c.payee.value;
      EXPECT_EQ(f->payee_masked_name_en, "") << c.payee.value;
    }
  }
  EXPECT_EQ(sw_->GetUsage("user-mona", "app")->used_today, 0);
  ExpectNetworkHealthy();
}

// Many concurrent sends from one account that can afford only some: each
// batch decides holds in order, so exactly the affordable ones complete.
TEST_P(SwitchTest, ConcurrentDirectSendsNeverOverdrawAndFailuresLeaveNoHold) {
  Open("NBE", "3001", "Hany Fawzy", "هاني فوزي", "01001112222", 100'000);  // EGP 1,000
  Open("CIB", "2001", "Karim Samir", "كريم سمير", "01201234567", 0);
  constexpr int kThreads = 8, kEach = 6;
  std::atomic<int> completed{0}, poor{0}, other{0};
  std::atomic<int64_t> spent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        SendRequest r = ToCib(5'000, "p" + std::to_string(t) + "-" + std::to_string(i));
        r.user_id = "user-hany";
        r.payer_account = "3001";
        auto sent = sw_->Send(r);
        if (sent.ok() && sent->state == TransferState::kCompleted) {
          ++completed;
          spent += sent->amount + sent->fee;
        } else if (sent.ok() && sent->error_code == "ipn.insufficient_funds") {
          ++poor;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(completed.load() + poor.load(), kThreads * kEach);
  EXPECT_GT(completed.load(), 0);
  EXPECT_GT(poor.load(), 0);
  EXPECT_EQ(Available("NBE", "3001"), 100'000 - spent.load());
  EXPECT_EQ(Available("CIB", "2001"), 5'000 * completed.load());
  auto account = ledger_->LookupAccount(sw_->institution("NBE")->Lookup({AccountKeyKind::kAccountNumber, "3001"})->ledger_account);
  ASSERT_TRUE(account.ok() && account->has_value());
  EXPECT_EQ((*account)->debits_pending, 0);
  EXPECT_EQ(sw_->GetUsage("user-hany", "app")->used_today, 5'000 * completed.load());
  ExpectNetworkHealthy();
}

// The outbox writer and the caller's record run inside the send's one
// commit: when either fails, nothing of the send happened.
TEST_P(SwitchTest, OutboxWriterAndCallerRowsCommitWithTheSendOrNotAtAll) {
  World();
  std::vector<std::string> written;
  bool fail = true;
  sw_->SetOutboxWriter([&](store::Transaction& tx, const Notification& n) -> Status {
    if (fail) return Error("app.test_refusal", n.id);
    auto count = tx.Execute("SELECT COUNT(*) FROM ipn_transactions WHERE ir = $1",
                            std::vector<store::Value>{store::Value(n.ir)});
    if (!count.ok()) return count.error();
    EXPECT_EQ(store::AsInt(count->rows[0][0]), 1);  // the send's own row, same transaction
    written.push_back(n.kind);
    return {};
  });
  SendRequest r = ToCib(100'000, "atomic");
  auto refused = sw_->Send(r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "app.test_refusal");
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000);
  EXPECT_EQ(Available("CIB", "2001"), 50'000);
  EXPECT_EQ(sw_->GetUsage("user-mona", "app")->used_today, 0);

  fail = false;
  TransactionView seen_by_caller;
  Notification handed_to_caller;
  r.record_with_outcome = [&](store::Transaction&, const TransactionView& view, const Notification& payer_notice) -> Status {
    seen_by_caller = view;
    handed_to_caller = payer_notice;
    return {};
  };
  TransactionView v = MustSend(r);  // the same request id: nothing of the first try exists
  EXPECT_EQ(v.state, TransferState::kCompleted);
  EXPECT_EQ(seen_by_caller.ir, v.ir);
  EXPECT_EQ(seen_by_caller.state, TransferState::kCompleted);
  // The payer's notice goes to the caller, which files it with its row; the
  // outbox writer gets the rest, each notice exactly once.
  EXPECT_EQ(handed_to_caller.kind, "sent");
  EXPECT_EQ(handed_to_caller.ir, v.ir);
  EXPECT_EQ(handed_to_caller.user_id, r.user_id);
  EXPECT_EQ(written, (std::vector<std::string>{"received"}));
  EXPECT_EQ(Available("NBE", "1001"), 1'000'000 - 100'000 - v.fee);
  sw_->SetOutboxWriter({});
  ExpectNetworkHealthy();
}

INSTANTIATE_TEST_SUITE_P(Backends, SwitchTest, ::testing::ValuesIn(store::TestBackends()), store::BackendTestName);

}  // namespace
}  // namespace lahza::ipn
