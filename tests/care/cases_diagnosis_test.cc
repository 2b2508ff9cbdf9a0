// Cases diagnosed against a real switch (real store, real ledger, real
// in-process institutions, faults injected at the switch's links), on both
// backends: every outcome, reconciliation triggered by the case itself,
// routing to the payer's bank with a complete dossier.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "care/cases.h"
#include "care/diagnosis.h"
#include "cases_test_support.h"
#include "ipn/switch.h"
#include "ledger/ledger.h"

namespace lahza::care {
namespace {

using namespace std::chrono_literals;
using testing::CairoAt;
using testing::HasHistory;
using testing::Ids;

class DiagnosisTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    store_ = store::FreshStore(GetParam());
    ASSERT_NE(store_, nullptr);
    auto ledger = ledger::Ledger::Open(*store_);
    ASSERT_OK(ledger);
    ledger_ = std::move(*ledger);
    ipn::SwitchOptions options;
    options.clock = &clock_;
    auto opened = ipn::Switch::Open(*store_, *ledger_, std::move(options));
    ASSERT_OK(opened);
    sw_ = std::move(*opened);
    diagnoser_ = std::make_unique<Diagnoser>(*sw_, clock_);
    auto service = CaseService::Create(*store_, clock_, diagnoser_.get());
    ASSERT_OK(service);
    cases_ = std::move(*service);
    OpenAccount("NBE", "1001", "Mona Ali Hassan", "منى علي حسن", "01001234567", 1'000'000);
    OpenAccount("CIB", "2001", "Karim Samir", "كريم سمير", "01201234567", 50'000);
  }

  void TearDown() override {
    cases_.reset();
    diagnoser_.reset();
    sw_.reset();
    ledger_.reset();
    store_.reset();
  }

  void OpenAccount(const std::string& participant, const std::string& number, const std::string& name_en,
                   const std::string& name_ar, const std::string& mobile, int64_t balance) {
    ipn::NewAccount account{number, "", name_ar, name_en, mobile, balance};
    auto opened = sw_->institution(participant)->OpenAccount(account);
    ASSERT_OK(opened);
  }

  // Mona (customer "user-mona" in the app) pays Karim at CIB.
  ipn::TransactionView Send(int64_t amount, const std::string& request_id) {
    ipn::SendRequest r;
    r.user_id = "user-mona";
    r.client_request_id = request_id;
    r.payer_participant = "NBE";
    r.payer_account = "1001";
    r.payee = ipn::PayeeId{ipn::PayeeKind::kAccountNumber, "2001", "CIB"};
    r.amount = amount;
    auto sent = sw_->Send(r);
    EXPECT_TRUE(sent.ok()) << (sent.ok() ? "" : sent.error().code);
    return sent.ok() ? *sent : ipn::TransactionView{};
  }

  NewCase MonaCase(Category category, const std::string& ir) {
    NewCase request;
    request.customer_id = "user-mona";
    request.customer = CustomerSummary{"Mona Ali Hassan", "+201001234567", "2**********321"};
    request.category = category;
    request.ir_reference = ir;
    request.description = "حولت لكريم والفلوس مش باينة";
    return request;
  }

  ipn::TransferState StateOf(const std::string& ir) {
    auto view = sw_->GetTransaction(ir);
    EXPECT_TRUE(view.ok());
    return view.ok() ? view->state : ipn::TransferState::kInitiated;
  }

  ManualClock clock_{CairoAt(2026, 11, 25, 14, 0)};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<ipn::Switch> sw_;
  std::unique_ptr<Diagnoser> diagnoser_;
  std::unique_ptr<CaseService> cases_;
  const Agent nbe_agent_{"hassan", "NBE"};
  const Agent cib_agent_{"mona.cib", "CIB"};
};

TEST_P(DiagnosisTest, CompletedTransferAnswersTheCaseWithProof) {
  ipn::TransactionView v = Send(250'000, "r1");
  ASSERT_EQ(v.state, ipn::TransferState::kCompleted);
  auto opened = cases_->Open(MonaCase(Category::kMoneyNotReceived, v.ir));
  ASSERT_OK(opened);
  const Case& c = *opened;
  EXPECT_EQ(c.status, CaseStatus::kResolved);
  EXPECT_EQ(c.resolved_by, "system");
  ASSERT_TRUE(c.diagnosis.has_value());
  EXPECT_EQ(c.diagnosis->outcome, "completed");
  EXPECT_TRUE(c.diagnosis->final);
  // Proof: the amount, the masked payee, the time.
  EXPECT_NE(c.diagnosis->explanation.en.find("EGP 2,500.00"), std::string::npos) << c.diagnosis->explanation.en;
  EXPECT_NE(c.diagnosis->explanation.en.find("Ka*** S****"), std::string::npos) << c.diagnosis->explanation.en;
  std::string when = FormatCairoDateTime(Instant(std::chrono::seconds(v.timeline.back().at_ms / 1000)),
                                         Language::kEnglish);
  EXPECT_NE(c.diagnosis->explanation.en.find(when), std::string::npos) << c.diagnosis->explanation.en;
  EXPECT_NE(c.diagnosis->explanation.ar.find(v.payee_masked_name_ar), std::string::npos) << c.diagnosis->explanation.ar;
  EXPECT_EQ(c.bank_code, "NBE");  // the payer's bank, from the transaction
  EXPECT_EQ(c.transaction.amount_piastres, 250'000);
  EXPECT_TRUE(HasHistory(c, "diagnosis"));
  ASSERT_FALSE(c.messages.empty());
  EXPECT_EQ(c.messages.back().author, "system");  // the customer is told
  EXPECT_NE(c.resolution.find("completed"), std::string::npos);
}

TEST_P(DiagnosisTest, ReversedTransferSaysWhen) {
  ipn::TransactionView v = Send(100'000, "r2");
  clock_.Advance(2h);
  ASSERT_OK(sw_->Reverse(v.ir, "supervisor.amr", "confirmed fraud"));
  auto opened = cases_->Open(MonaCase(Category::kFailedOrStuckTransfer, v.ir));
  ASSERT_OK(opened);
  EXPECT_EQ(opened->status, CaseStatus::kResolved);
  ASSERT_TRUE(opened->diagnosis.has_value());
  EXPECT_EQ(opened->diagnosis->outcome, "reversed");
  // When: the time of the reversal step in the switch's timeline, in Cairo.
  auto view = sw_->GetTransaction(v.ir);
  ASSERT_OK(view);
  ASSERT_FALSE(view->timeline.empty());
  ASSERT_EQ(view->timeline.back().state, ipn::TransferState::kReversed);
  std::string when = FormatCairoDateTime(Instant(std::chrono::seconds(view->timeline.back().at_ms / 1000)),
                                         Language::kEnglish);
  EXPECT_NE(opened->diagnosis->explanation.en.find(when), std::string::npos) << opened->diagnosis->explanation.en;
}

TEST_P(DiagnosisTest, DebitedWithoutAnswerIsReconciledByTheCaseAndReversed) {
  ipn::Fault timeout{ipn::Fault::Kind::kTimeoutAfterDebit};
  timeout.credit_lands = false;
  ASSERT_OK(sw_->SetFault("CIB", timeout));
  ipn::TransactionView v = Send(100'000, "t1");
  ASSERT_EQ(v.state, ipn::TransferState::kTimedOutAfterDebit);

  // Nobody runs the reconciler: the case itself triggers it.
  auto opened = cases_->Open(MonaCase(Category::kDebitedWithoutCompletion, v.ir));
  ASSERT_OK(opened);
  EXPECT_EQ(StateOf(v.ir), ipn::TransferState::kReversed);
  EXPECT_EQ(opened->status, CaseStatus::kResolved);
  ASSERT_TRUE(opened->diagnosis.has_value());
  EXPECT_EQ(opened->diagnosis->outcome, "reversed");
  bool reconciled = false;
  for (const HistoryEntry& h : opened->history) {
    if (h.action == "diagnosis" && h.detail.find("reconciliation run now") != std::string::npos) reconciled = true;
  }
  EXPECT_TRUE(reconciled);
  auto available = sw_->institution("NBE")->Available("1001");
  ASSERT_OK(available);
  EXPECT_EQ(*available, 1'000'000);  // the customer has the money back
}

TEST_P(DiagnosisTest, DebitedWhenTheCreditLandedIsReconciledToCompleted) {
  ipn::Fault timeout{ipn::Fault::Kind::kTimeoutAfterDebit};
  timeout.credit_lands = true;
  ASSERT_OK(sw_->SetFault("CIB", timeout));
  ipn::TransactionView v = Send(100'000, "t2");
  ASSERT_EQ(v.state, ipn::TransferState::kTimedOutAfterDebit);
  auto opened = cases_->Open(MonaCase(Category::kDebitedWithoutCompletion, v.ir));
  ASSERT_OK(opened);
  EXPECT_EQ(StateOf(v.ir), ipn::TransferState::kCompleted);
  EXPECT_EQ(opened->status, CaseStatus::kResolved);
  EXPECT_EQ(opened->diagnosis->outcome, "completed");
}

TEST_P(DiagnosisTest, StillUnansweredGivesTheDeadlineAndGoesToThePayersBank) {
  ipn::Fault timeout{ipn::Fault::Kind::kTimeoutAfterDebit};
  ASSERT_OK(sw_->SetFault("CIB", timeout));
  ipn::TransactionView v = Send(100'000, "t3");
  ASSERT_OK(sw_->SetFault("CIB", ipn::Fault{ipn::Fault::Kind::kDown}));

  NewCase request = MonaCase(Category::kDebitedWithoutCompletion, v.ir);
  request.attachments.push_back(Upload{"debit-sms.png", testing::PngBytes()});
  auto opened = cases_->Open(request);
  ASSERT_OK(opened);
  const Case& c = *opened;
  EXPECT_EQ(StateOf(v.ir), ipn::TransferState::kTimedOutAfterDebit);
  EXPECT_EQ(c.status, CaseStatus::kOpen);
  ASSERT_TRUE(c.diagnosis.has_value());
  EXPECT_EQ(c.diagnosis->outcome, "debited_open");
  EXPECT_FALSE(c.diagnosis->final);
  // The deadline is the hold's expiry (3 days by default).
  std::string deadline = FormatCairoDateTime(Instant(std::chrono::seconds(v.hold_expires_ms / 1000)),
                                             Language::kEnglish);
  EXPECT_NE(c.diagnosis->explanation.en.find(deadline), std::string::npos) << c.diagnosis->explanation.en;
  EXPECT_NE(c.diagnosis->explanation.en.find("National Bank of Egypt"), std::string::npos);
  EXPECT_EQ(c.queue, "bank:NBE");
  EXPECT_EQ(c.priority, Priority::kHigh);
  EXPECT_EQ(c.due_at, c.created_at + 24h);

  auto nbe = cases_->Queue(nbe_agent_);
  ASSERT_OK(nbe);
  EXPECT_EQ(Ids(*nbe), (std::vector<std::string>{c.id}));
  auto cib = cases_->Queue(cib_agent_);
  ASSERT_OK(cib);
  EXPECT_TRUE(cib->empty());

  // The bank receives the whole dossier: identity, transaction and its
  // timeline, the case and its history.
  auto dossier_text = cases_->Dossier(nbe_agent_, c.id);
  ASSERT_OK(dossier_text);
  auto dossier = nlohmann::json::parse(*dossier_text);
  EXPECT_EQ(dossier["customer"]["national_id_masked"], "2**********321");
  EXPECT_EQ(dossier["customer"]["mobile"], "+201001234567");
  EXPECT_EQ(dossier["transaction"]["ir"], v.ir);
  EXPECT_EQ(dossier["transaction"]["state"], "timed_out_after_debit");
  EXPECT_EQ(dossier["transaction"]["amount_piastres"], 100'000);
  ASSERT_TRUE(dossier["transaction"]["timeline"].is_array());
  EXPECT_GE(dossier["transaction"]["timeline"].size(), 3u);
  EXPECT_EQ(dossier["diagnosis"]["outcome"], "debited_open");
  EXPECT_EQ(dossier["attachments"].size(), 1u);
  EXPECT_GE(dossier["history"].size(), 3u);

  // When the payee answers again, the periodic refresh closes the case with
  // the outcome; a refresh with nothing new changes nothing.
  auto none = cases_->RefreshDiagnoses();
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0);
  auto before = cases_->GetForAgent(nbe_agent_, c.id);
  ASSERT_OK(before);
  ASSERT_OK(sw_->SetFault("CIB", ipn::Fault{}));
  auto refreshed = cases_->RefreshDiagnoses();
  ASSERT_OK(refreshed);
  EXPECT_EQ(*refreshed, 1);
  auto after = cases_->GetForCustomer("user-mona", c.id);
  ASSERT_OK(after);
  EXPECT_EQ(after->status, CaseStatus::kResolved);
  EXPECT_EQ(after->diagnosis->outcome, "reversed");
  EXPECT_GT(after->history.size(), before->history.size());
}

TEST_P(DiagnosisTest, RejectedTransferIsExplainedWithTheReason) {
  ipn::Fault reject{ipn::Fault::Kind::kReject};
  reject.reject_code = "ipn.account_closed";
  ASSERT_OK(sw_->SetFault("CIB", reject));
  ipn::TransactionView v = Send(100'000, "f1");
  ASSERT_EQ(v.state, ipn::TransferState::kRejected);
  auto opened = cases_->Open(MonaCase(Category::kFailedOrStuckTransfer, v.ir));
  ASSERT_OK(opened);
  EXPECT_EQ(opened->status, CaseStatus::kResolved);
  EXPECT_EQ(opened->diagnosis->outcome, "failed");
  Message reason = MessageFor("ipn.account_closed");
  EXPECT_NE(opened->diagnosis->explanation.en.find(reason.en), std::string::npos) << opened->diagnosis->explanation.en;
}

TEST_P(DiagnosisTest, DisputedTransferStaysOpenForPeople) {
  ipn::TransactionView v = Send(100'000, "d1");
  ASSERT_OK(sw_->Dispute(v.ir, "ops.sara", "customer says the payee is a scammer"));
  auto opened = cases_->Open(MonaCase(Category::kMoneyNotReceived, v.ir));
  ASSERT_OK(opened);
  EXPECT_EQ(opened->status, CaseStatus::kOpen);
  EXPECT_EQ(opened->diagnosis->outcome, "pending");
  EXPECT_FALSE(opened->diagnosis->final);
  EXPECT_EQ(opened->queue, "bank:NBE");
}

TEST_P(DiagnosisTest, AnotherCustomersReferenceIsNotFound) {
  ipn::TransactionView v = Send(100'000, "o1");
  NewCase request = MonaCase(Category::kMoneyNotReceived, v.ir);
  request.customer_id = "user-eve";
  request.customer.mobile = "+201111111111";
  auto opened = cases_->Open(request);
  ASSERT_OK(opened);
  EXPECT_EQ(opened->status, CaseStatus::kWaitingCustomer);
  ASSERT_TRUE(opened->diagnosis.has_value());
  EXPECT_EQ(opened->diagnosis->outcome, "not_found");
  EXPECT_EQ(opened->missing.front(), "ir_reference");
  // Nothing about Mona's transfer leaks into Eve's case.
  EXPECT_EQ(opened->diagnosis->explanation.en.find("Ka***"), std::string::npos);
  EXPECT_FALSE(opened->transaction.amount_piastres.has_value());
  EXPECT_TRUE(opened->bank_code.empty());

  // The payee, reached by their mobile number, may ask about a transfer to them.
  ASSERT_OK(sw_->SetDefaultAccount("+201201234567", "CIB", "2001"));
  ipn::SendRequest to_mobile;
  to_mobile.user_id = "user-mona";
  to_mobile.client_request_id = "o2";
  to_mobile.payer_participant = "NBE";
  to_mobile.payer_account = "1001";
  to_mobile.payee = ipn::PayeeId{ipn::PayeeKind::kMobile, "01201234567", ""};
  to_mobile.amount = 5'000;
  auto sent = sw_->Send(to_mobile);
  ASSERT_OK(sent);
  NewCase karim;
  karim.customer_id = "user-karim";
  karim.customer = CustomerSummary{"Karim Samir", "+201201234567", "2**********555"};
  karim.category = Category::kMoneyNotReceived;
  karim.ir_reference = sent->ir;
  karim.bank_code = "CIB";
  auto his = cases_->Open(karim);
  ASSERT_OK(his);
  ASSERT_TRUE(his->diagnosis.has_value());
  EXPECT_EQ(his->diagnosis->outcome, "completed");
}

TEST_P(DiagnosisTest, ASecurityCaseIsNotClosedByACompletedTransfer) {
  ipn::TransactionView v = Send(100'000, "s1");
  NewCase request = MonaCase(Category::kSecurityUnusualActivity, v.ir);
  request.description = "I did not make this transfer";
  auto opened = cases_->Open(request);
  ASSERT_OK(opened);
  EXPECT_EQ(opened->status, CaseStatus::kOpen);
  EXPECT_EQ(opened->diagnosis->outcome, "completed");
  EXPECT_EQ(opened->queue, "bank:NBE");
  auto frozen = cases_->FreezeTransfers("user-mona", opened->id);
  ASSERT_OK(frozen);
  auto flag = TransfersFrozen(*store_, "user-mona");
  ASSERT_OK(flag);
  EXPECT_TRUE(*flag);
}

INSTANTIATE_TEST_SUITE_P(Backends, DiagnosisTest, ::testing::ValuesIn(store::TestBackends()),
                         store::BackendTestName);

}  // namespace
}  // namespace lahza::care
