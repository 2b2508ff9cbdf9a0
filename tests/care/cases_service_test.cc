// The case service on both backends without a switch: required information,
// routing, agent actions and history, SLA, duplicate merge, the transfer
// freeze, attachments and isolation between customers.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "care/cases.h"
#include "cases_test_support.h"
#include "core/ir_reference.h"
#include "core/messages.h"

namespace lahza::care {
namespace {

using namespace std::chrono_literals;
using testing::CairoAt;
using testing::Contains;
using testing::HasHistory;
using testing::Ids;
using testing::Summary;

class CasesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    store_ = store::FreshStore(GetParam());
    ASSERT_NE(store_, nullptr);
    auto service = CaseService::Create(*store_, clock_, nullptr);
    ASSERT_OK(service);
    cases_ = std::move(*service);
  }

  NewCase Request(const std::string& customer, Category category) {
    NewCase request;
    request.customer_id = customer;
    request.customer = Summary("Customer " + customer);
    request.category = category;
    return request;
  }

  Case OpenOk(const NewCase& request) {
    auto opened = cases_->Open(request);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().code + " " + opened.error().detail);
    return opened.ok() ? *opened : Case{};
  }

  static std::string Ir(uint64_t counter) { return IrReference::FromParts(7, counter).str(); }

  ManualClock clock_{CairoAt(2026, 11, 25, 10, 0)};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<CaseService> cases_;
  const Agent app_agent_{"amira", ""};
  const Agent nbe_agent_{"hassan", "NBE"};
  const Agent cib_agent_{"mona", "CIB"};
};

TEST_P(CasesTest, MoneyCaseWithoutReferenceAsksForTheMissingDetails) {
  NewCase request = Request("cust-1", Category::kMoneyNotReceived);
  request.description = "بعت فلوس لأخويا ومش وصلت";
  Case c = OpenOk(request);
  EXPECT_TRUE(IsValidCaseId(c.id)) << c.id;
  EXPECT_EQ(c.status, CaseStatus::kWaitingCustomer);
  EXPECT_EQ(c.missing, (std::vector<std::string>{"ir_reference", "transaction_time", "amount", "counterparty", "bank"}));
  EXPECT_TRUE(Contains(c.recommended, "screenshot"));
  EXPECT_EQ(c.party, Party::kBank);
  EXPECT_EQ(c.queue, "app");  // no bank known yet: the app's agents see it
  EXPECT_TRUE(HasHistory(c, "created"));
  EXPECT_TRUE(HasHistory(c, "missing"));

  // The request the customer reads names each item in both languages.
  Message ask = MissingItemsRequest(c.missing);
  EXPECT_NE(ask.en.find("the amount"), std::string::npos) << ask.en;
  EXPECT_NE(ask.ar.find("مبلغ العملية"), std::string::npos) << ask.ar;

  // Details instead of the reference are enough, once the bank is known.
  CustomerUpdate update;
  update.transaction.at = CairoAt(2026, 11, 24, 14, 2);
  update.transaction.amount_piastres = 150000;
  update.transaction.counterparty = "ahmed@instapay";
  auto replied = cases_->CustomerReply("cust-1", c.id, update);
  ASSERT_OK(replied);
  EXPECT_EQ(replied->status, CaseStatus::kWaitingCustomer);
  EXPECT_EQ(replied->missing, (std::vector<std::string>{"bank"}));

  CustomerUpdate bank;
  bank.bank_code = "NBE";
  replied = cases_->CustomerReply("cust-1", c.id, bank);
  ASSERT_OK(replied);
  EXPECT_EQ(replied->status, CaseStatus::kOpen);
  EXPECT_TRUE(replied->missing.empty());
  EXPECT_EQ(replied->queue, "bank:NBE");
  EXPECT_EQ(replied->transaction.amount_piastres, 150000);
  EXPECT_TRUE(HasHistory(*replied, "routed"));
}

TEST_P(CasesTest, SecurityCaseNeedsADescriptionAndIsUrgent) {
  NewCase request = Request("cust-1", Category::kSecurityUnusualActivity);
  request.description = "   ";
  Case c = OpenOk(request);
  EXPECT_EQ(c.status, CaseStatus::kWaitingCustomer);
  EXPECT_EQ(c.missing, (std::vector<std::string>{"description"}));
  EXPECT_EQ(c.priority, Priority::kUrgent);
  EXPECT_EQ(c.party, Party::kBoth);
  EXPECT_EQ(c.due_at, c.created_at + 1h);

  CustomerUpdate update;
  update.description = "وصلتني رسالة بتحويل ما عملتوش الساعة ٣ الفجر";
  auto replied = cases_->CustomerReply("cust-1", c.id, update);
  ASSERT_OK(replied);
  EXPECT_EQ(replied->status, CaseStatus::kOpen);
  EXPECT_EQ(replied->description, update.description);
  // Both parties' case: the app's agents see it.
  auto queue = cases_->Queue(app_agent_);
  ASSERT_OK(queue);
  EXPECT_TRUE(Contains(Ids(*queue), c.id));
}

TEST_P(CasesTest, AppProblemsGoToTheAppQueueAndBankProblemsToThatBank) {
  NewCase app = Request("cust-1", Category::kAppError);
  app.description = "التطبيق بيقفل لوحده لما أفتح التحويلات";
  Case app_case = OpenOk(app);
  EXPECT_EQ(app_case.status, CaseStatus::kOpen);
  EXPECT_EQ(app_case.queue, "app");

  NewCase limits = Request("cust-2", Category::kLimits);
  limits.description = "I want to raise my daily limit";
  limits.bank_code = "NBE";
  Case bank_case = OpenOk(limits);
  EXPECT_EQ(bank_case.queue, "bank:NBE");
  EXPECT_EQ(bank_case.status, CaseStatus::kOpen);

  auto app_queue = cases_->Queue(app_agent_);
  ASSERT_OK(app_queue);
  EXPECT_EQ(Ids(*app_queue), (std::vector<std::string>{app_case.id}));
  auto nbe_queue = cases_->Queue(nbe_agent_);
  ASSERT_OK(nbe_queue);
  EXPECT_EQ(Ids(*nbe_queue), (std::vector<std::string>{bank_case.id}));
  auto cib_queue = cases_->Queue(cib_agent_);
  ASSERT_OK(cib_queue);
  EXPECT_TRUE(cib_queue->empty());
  // Another bank's agent cannot open it either.
  auto other = cases_->GetForAgent(cib_agent_, bank_case.id);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "care.case_not_found");
  auto take = cases_->Take(cib_agent_, bank_case.id);
  ASSERT_FALSE(take.ok());
  EXPECT_EQ(take.error().code, "care.case_not_found");
}

TEST_P(CasesTest, AgentActionsAreAllInTheHistory) {
  NewCase request = Request("cust-1", Category::kLinkingAccountsCards);
  request.description = "مش عارف أربط حسابي في البنك الأهلي";
  request.bank_code = "NBE";
  Case c = OpenOk(request);
  ASSERT_EQ(c.queue, "bank:NBE");

  clock_.Advance(10min);
  auto taken = cases_->Take(nbe_agent_, c.id);
  ASSERT_OK(taken);
  EXPECT_EQ(taken->status, CaseStatus::kInProgress);
  EXPECT_EQ(taken->agent_id, "hassan");

  ASSERT_OK(cases_->Reply(nbe_agent_, c.id, "Customer's mobile differs from the bank's record", true));
  ASSERT_OK(cases_->Reply(nbe_agent_, c.id, "هل رقم الموبايل المسجل في البنك هو نفسه رقم التطبيق؟"));
  auto asked = cases_->RequestInformation(nbe_agent_, c.id, {"national_id", "screenshot"}, "ابعت الرقم القومي وصورة");
  ASSERT_OK(asked);
  EXPECT_EQ(asked->status, CaseStatus::kWaitingCustomer);
  EXPECT_EQ(asked->missing, (std::vector<std::string>{"national_id", "screenshot"}));

  // What the customer sees: no internal note.
  auto seen = cases_->GetForCustomer("cust-1", c.id);
  ASSERT_OK(seen);
  for (const CaseMessage& m : seen->messages) EXPECT_FALSE(m.internal) << m.body;
  EXPECT_EQ(seen->messages.size(), 2u);
  EXPECT_FALSE(HasHistory(*seen, "note"));

  clock_.Advance(1h);
  CustomerUpdate update;
  update.message = "الرقم القومي 29001011234567 والصورة مرفقة";
  update.attachments.push_back(Upload{"screen.png", testing::PngBytes()});
  auto replied = cases_->CustomerReply("cust-1", c.id, update);
  ASSERT_OK(replied);
  EXPECT_EQ(replied->status, CaseStatus::kInProgress);  // back to the agent who has it
  EXPECT_EQ(replied->attachments.size(), 1u);

  auto resolved = cases_->Resolve(nbe_agent_, c.id, "تم تحديث رقم الموبايل، يمكنك الربط الآن");
  ASSERT_OK(resolved);
  EXPECT_EQ(resolved->status, CaseStatus::kResolved);
  EXPECT_EQ(resolved->resolved_by, "agent:hassan");
  ASSERT_TRUE(resolved->resolved_at.has_value());

  // Not satisfied: the customer's reply reopens it for the same agent.
  CustomerUpdate again;
  again.message = "لسه مش شغال";
  auto reopened = cases_->CustomerReply("cust-1", c.id, again);
  ASSERT_OK(reopened);
  EXPECT_EQ(reopened->status, CaseStatus::kInProgress);
  EXPECT_TRUE(reopened->resolution.empty());

  ASSERT_OK(cases_->Resolve(nbe_agent_, c.id, "تمت المعالجة من جديد"));
  auto closed = cases_->Close(nbe_agent_, c.id);
  ASSERT_OK(closed);
  EXPECT_EQ(closed->status, CaseStatus::kClosed);
  auto after = cases_->Reply(nbe_agent_, c.id, "late");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, "care.case_closed");

  // Every change, in order, with who did it.
  std::vector<std::string> actions;
  for (const HistoryEntry& h : closed->history) actions.push_back(h.action + "@" + h.actor);
  std::vector<std::string> expected = {
      "created@customer:cust-1", "routed@system",         "assigned@agent:hassan",   "status@agent:hassan",
      "note@agent:hassan",       "message@agent:hassan",  "message@agent:hassan",    "information_requested@agent:hassan",
      "status@agent:hassan",     "message@customer:cust-1", "attachment@customer:cust-1", "status@system",
      "message@agent:hassan",    "status@agent:hassan",   "message@customer:cust-1", "status@customer:cust-1",
      "message@agent:hassan",    "status@agent:hassan",   "status@agent:hassan"};
  EXPECT_EQ(actions, expected);
  for (size_t i = 1; i < closed->history.size(); ++i) {
    EXPECT_LT(closed->history[i - 1].seq, closed->history[i].seq);
    EXPECT_LE(closed->history[i - 1].at, closed->history[i].at);
  }
}

TEST_P(CasesTest, AppAgentEscalatesToTheBank) {
  NewCase request = Request("cust-1", Category::kHowTo);
  request.description = "How do I change the account behind my IPA?";
  Case c = OpenOk(request);
  ASSERT_OK(cases_->Take(app_agent_, c.id));
  auto escalated = cases_->Escalate(app_agent_, c.id, "CIB", "The IPA is at CIB; only they can re-point it");
  ASSERT_OK(escalated);
  EXPECT_EQ(escalated->status, CaseStatus::kEscalated);
  EXPECT_EQ(escalated->queue, "bank:CIB");
  EXPECT_EQ(escalated->party, Party::kBoth);
  EXPECT_TRUE(escalated->agent_id.empty());
  EXPECT_TRUE(HasHistory(*escalated, "escalated"));

  auto cib_queue = cases_->Queue(cib_agent_);
  ASSERT_OK(cib_queue);
  EXPECT_EQ(Ids(*cib_queue), (std::vector<std::string>{c.id}));
  auto taken = cases_->Take(cib_agent_, c.id);
  ASSERT_OK(taken);
  EXPECT_EQ(taken->status, CaseStatus::kInProgress);

  // The dossier carries the customer's identity summary and the history.
  auto dossier = cases_->Dossier(cib_agent_, c.id);
  ASSERT_OK(dossier);
  EXPECT_NE(dossier->find("2**********123"), std::string::npos);
  EXPECT_NE(dossier->find("\"escalated\""), std::string::npos);
  EXPECT_NE(dossier->find("re-point"), std::string::npos);  // internal notes are for agents

  auto bad = cases_->Escalate(cib_agent_, c.id, "cib lower", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "care.unknown_bank");
}

TEST_P(CasesTest, SlaWarnsBeforeAndReportsBreaches) {
  NewCase security = Request("cust-1", Category::kSecurityUnusualActivity);
  security.description = "Someone logged in from a phone I do not own";
  Case urgent = OpenOk(security);
  NewCase how = Request("cust-2", Category::kHowTo);
  how.description = "How do I pay my electricity bill?";
  Case slow = OpenOk(how);
  ASSERT_EQ(slow.due_at, slow.created_at + 72h);

  auto report = cases_->Sla(app_agent_);
  ASSERT_OK(report);
  EXPECT_TRUE(report->due_soon.empty());
  EXPECT_TRUE(report->breached.empty());

  clock_.Advance(50min);  // 10 minutes left of 1 hour: within a quarter of it
  report = cases_->Sla(app_agent_);
  ASSERT_OK(report);
  EXPECT_EQ(Ids(report->due_soon), (std::vector<std::string>{urgent.id}));
  EXPECT_TRUE(report->breached.empty());

  clock_.Advance(11min);
  report = cases_->Sla(app_agent_);
  ASSERT_OK(report);
  EXPECT_TRUE(report->due_soon.empty());
  EXPECT_EQ(Ids(report->breached), (std::vector<std::string>{urgent.id}));

  clock_.Advance(68h);  // 3h left of 72h: due soon (warn 4h)
  report = cases_->Sla(app_agent_);
  ASSERT_OK(report);
  EXPECT_EQ(Ids(report->due_soon), (std::vector<std::string>{slow.id}));
  EXPECT_EQ(report->breached.size(), 1u);

  // A resolved case leaves the lists.
  ASSERT_OK(cases_->Resolve(app_agent_, urgent.id, "Password reset and devices signed out"));
  report = cases_->Sla(app_agent_);
  ASSERT_OK(report);
  EXPECT_TRUE(report->breached.empty());
}

TEST_P(CasesTest, WaitingForTheCustomerStopsTheSlaClock) {
  NewCase how = Request("cust-1", Category::kHowTo);
  how.description = "How do I donate?";
  Case c = OpenOk(how);
  Instant due = c.due_at;
  clock_.Advance(1h);
  ASSERT_OK(cases_->RequestInformation(app_agent_, c.id, {"screenshot"}, "Which screen are you on?"));
  clock_.Advance(5h);
  auto report = cases_->Sla(app_agent_);
  ASSERT_OK(report);
  clock_.Advance(1h);
  CustomerUpdate update;
  update.attachments.push_back(Upload{"s.jpg", testing::JpegBytes()});
  auto replied = cases_->CustomerReply("cust-1", c.id, update);
  ASSERT_OK(replied);
  EXPECT_EQ(replied->status, CaseStatus::kOpen);
  EXPECT_EQ(replied->due_at, due + 6h);
}

// Two people (or two taps) opening a case about the same transfer at the same
// moment end with one active case, on PostgreSQL's READ COMMITTED too.
TEST_P(CasesTest, ConcurrentCasesForTheSameReferenceLeaveOneActiveCase) {
  std::string ir = Ir(515151);
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      NewCase request = Request("cust-9", Category::kFailedOrStuckTransfer);
      request.ir_reference = ir;
      request.bank_code = "NBE";
      request.description = "التحويل معلق";
      if (cases_->Open(request).ok()) ++opened;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(opened.load(), 6);
  auto list = cases_->ListForCustomer("cust-9");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 6u);
  int active = 0;
  for (const CaseListItem& item : *list) {
    auto one = cases_->GetForCustomer("cust-9", item.id);
    ASSERT_OK(one);
    if (one->merged_into.empty()) {
      ++active;
      EXPECT_NE(one->status, CaseStatus::kClosed);
    } else {
      EXPECT_EQ(one->status, CaseStatus::kClosed);
    }
  }
  EXPECT_EQ(active, 1);
}

TEST_P(CasesTest, DuplicateCasesForTheSameReferenceAreMerged) {
  std::string ir = Ir(424242);
  NewCase first = Request("cust-1", Category::kFailedOrStuckTransfer);
  first.ir_reference = ir;
  first.bank_code = "NBE";
  first.description = "التحويل معلق";
  Case older = OpenOk(first);
  ASSERT_EQ(older.status, CaseStatus::kOpen);

  clock_.Advance(2h);
  NewCase second = Request("cust-1", Category::kDebitedWithoutCompletion);
  second.ir_reference = ir.substr(2);  // the digits only, as people often type it
  second.description = "اتخصم مني ومفيش حاجة وصلت";
  second.transaction.amount_piastres = 250000;
  second.attachments.push_back(Upload{"receipt.webp", testing::WebpBytes()});
  auto merged = cases_->Open(second);
  ASSERT_OK(merged);
  EXPECT_EQ(merged->id, older.id);
  EXPECT_TRUE(HasHistory(*merged, "merged"));
  EXPECT_EQ(merged->attachments.size(), 1u);
  EXPECT_EQ(merged->transaction.amount_piastres, 250000);
  EXPECT_EQ(merged->priority, Priority::kHigh);  // the newer case's urgency is kept
  ASSERT_FALSE(merged->messages.empty());
  EXPECT_EQ(merged->messages.back().body, "اتخصم مني ومفيش حاجة وصلت");

  auto list = cases_->ListForCustomer("cust-1");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  const CaseListItem& newer = (*list)[0].id == older.id ? (*list)[1] : (*list)[0];
  auto newer_case = cases_->GetForCustomer("cust-1", newer.id);
  ASSERT_OK(newer_case);
  EXPECT_EQ(newer_case->merged_into, older.id);
  EXPECT_EQ(newer_case->status, CaseStatus::kClosed);
  EXPECT_TRUE(newer_case->attachments.empty());  // moved to the older case

  // A reply to the merged one lands in the older case.
  CustomerUpdate update;
  update.message = "any news?";
  auto replied = cases_->CustomerReply("cust-1", newer.id, update);
  ASSERT_OK(replied);
  EXPECT_EQ(replied->id, older.id);
  EXPECT_EQ(replied->messages.back().body, "any news?");

  // Another customer quoting the same reference is not merged into mine.
  NewCase stranger = Request("cust-2", Category::kFailedOrStuckTransfer);
  stranger.ir_reference = ir;
  stranger.bank_code = "NBE";
  Case theirs = OpenOk(stranger);
  EXPECT_NE(theirs.id, older.id);
  EXPECT_TRUE(theirs.merged_into.empty());

  // A case that gets the reference later is merged too.
  NewCase later = Request("cust-1", Category::kMoneyNotReceived);
  later.bank_code = "NBE";
  Case third = OpenOk(later);
  EXPECT_EQ(third.status, CaseStatus::kWaitingCustomer);
  CustomerUpdate with_ir;
  with_ir.ir_reference = ir;
  auto merged_later = cases_->CustomerReply("cust-1", third.id, with_ir);
  ASSERT_OK(merged_later);
  EXPECT_EQ(merged_later->id, older.id);
}

TEST_P(CasesTest, SecurityCaseFreezesTransfersOnRequest) {
  auto frozen = TransfersFrozen(*store_, "cust-1");
  ASSERT_OK(frozen);
  EXPECT_FALSE(*frozen);

  NewCase request = Request("cust-1", Category::kSecurityUnusualActivity);
  request.description = "Transfers I did not make";
  request.bank_code = "NBE";
  Case c = OpenOk(request);
  EXPECT_FALSE(c.transfers_frozen);

  // Only the case's own customer, and only for security cases.
  auto stranger = cases_->FreezeTransfers("cust-2", c.id);
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.error().code, "care.case_not_found");
  NewCase how = Request("cust-1", Category::kHowTo);
  how.description = "question";
  Case other = OpenOk(how);
  auto wrong = cases_->FreezeTransfers("cust-1", other.id);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "care.freeze_not_security");

  auto done = cases_->FreezeTransfers("cust-1", c.id);
  ASSERT_OK(done);
  EXPECT_TRUE(done->transfers_frozen);
  EXPECT_TRUE(HasHistory(*done, "transfers_frozen"));
  frozen = TransfersFrozen(*store_, "cust-1");
  ASSERT_OK(frozen);
  EXPECT_TRUE(*frozen);
  auto others = TransfersFrozen(*store_, "cust-2");
  ASSERT_OK(others);
  EXPECT_FALSE(*others);

  // The bank's agent lifts it after checking with the customer.
  auto lifted = cases_->LiftFreeze(nbe_agent_, c.id, "Customer verified in branch");
  ASSERT_OK(lifted);
  EXPECT_FALSE(lifted->transfers_frozen);
  EXPECT_TRUE(HasHistory(*lifted, "transfers_unfrozen"));
  frozen = TransfersFrozen(*store_, "cust-1");
  ASSERT_OK(frozen);
  EXPECT_FALSE(*frozen);
  auto twice = cases_->LiftFreeze(nbe_agent_, c.id, "");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, "care.not_frozen");
}

TEST_P(CasesTest, ACustomerCannotSeeOrTouchAnothersCase) {
  NewCase request = Request("cust-1", Category::kAppError);
  request.description = "private";
  request.attachments.push_back(Upload{"a.png", testing::PngBytes()});
  Case mine = OpenOk(request);
  ASSERT_EQ(mine.attachments.size(), 1u);

  auto get = cases_->GetForCustomer("cust-2", mine.id);
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.error().code, "care.case_not_found");
  CustomerUpdate update;
  update.message = "hello";
  auto reply = cases_->CustomerReply("cust-2", mine.id, update);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "care.case_not_found");
  auto close = cases_->CustomerClose("cust-2", mine.id);
  ASSERT_FALSE(close.ok());
  EXPECT_EQ(close.error().code, "care.case_not_found");
  auto attachment = cases_->CustomerAttachment("cust-2", mine.id, mine.attachments[0].id);
  ASSERT_FALSE(attachment.ok());
  EXPECT_EQ(attachment.error().code, "care.case_not_found");
  auto list = cases_->ListForCustomer("cust-2");
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
  // A made-up or mistyped id is simply not found.
  std::string typo = mine.id;
  typo.back() = typo.back() == '9' ? '0' : static_cast<char>(typo.back() + 1);
  EXPECT_FALSE(IsValidCaseId(typo));
  auto missing = cases_->GetForCustomer("cust-1", typo);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "care.case_not_found");

  // The owner gets their bytes back exactly.
  auto own = cases_->CustomerAttachment("cust-1", mine.id, mine.attachments[0].id);
  ASSERT_OK(own);
  EXPECT_TRUE(own->second == testing::PngBytes());
  EXPECT_EQ(own->first.media_type, "image/png");
}

TEST_P(CasesTest, AttachmentsAreCheckedByTheirBytes) {
  NewCase request = Request("cust-1", Category::kAppError);
  request.description = "error 500 on the send screen";
  request.attachments.push_back(Upload{"photo.png", testing::GifBytes()});  // a GIF named .png
  auto gif = cases_->Open(request);
  ASSERT_FALSE(gif.ok());
  EXPECT_EQ(gif.error().code, "care.attachment_type");

  request.attachments = {Upload{"big.jpg", testing::JpegBytes(2 * 1024 * 1024 + 1)}};
  auto big = cases_->Open(request);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "care.attachment_too_large");

  request.attachments = {Upload{"empty.png", ""}};
  auto empty = cases_->Open(request);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "care.attachment_empty");

  // Exactly at the cap is fine, and every byte value survives storage.
  std::string edge = testing::JpegBytes(2 * 1024 * 1024);
  for (size_t i = 20; i < 276; ++i) edge[i] = static_cast<char>(i - 20);
  request.attachments = {Upload{"edge.jpg", edge}, Upload{"w.webp", testing::WebpBytes(100)}};
  auto ok = cases_->Open(request);
  ASSERT_OK(ok);
  ASSERT_EQ(ok->attachments.size(), 2u);
  EXPECT_TRUE(ok->recommended.empty());
  auto back = cases_->AgentAttachment(app_agent_, ok->id, ok->attachments[0].id);
  ASSERT_OK(back);
  EXPECT_TRUE(back->second == edge);  // (not EXPECT_EQ: 2 MiB in a failure message helps nobody)
  EXPECT_EQ(back->first.size, static_cast<int64_t>(edge.size()));

  // Nothing was stored for the refused requests.
  auto list = cases_->ListForCustomer("cust-1");
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 1u);
}

TEST_P(CasesTest, BadInputIsRefusedWithClearCodes) {
  NewCase request = Request("cust-1", Category::kFailedOrStuckTransfer);
  request.ir_reference = Ir(99);
  request.ir_reference.back() = request.ir_reference.back() == '0' ? '1' : '0';  // wrong check digit
  auto typo = cases_->Open(request);
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code, "ir.invalid_check_digit");

  request.ir_reference.clear();
  request.transaction.amount_piastres = -5;
  auto negative = cases_->Open(request);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, "care.invalid_amount");

  request.transaction.amount_piastres.reset();
  request.description = std::string(9000, 'x');
  auto long_text = cases_->Open(request);
  ASSERT_FALSE(long_text.ok());
  EXPECT_EQ(long_text.error().code, "care.text_too_long");

  NewCase anonymous = Request("", Category::kOther);
  auto no_customer = cases_->Open(anonymous);
  ASSERT_FALSE(no_customer.ok());
  EXPECT_EQ(no_customer.error().code, "care.customer_required");

  // SQL in text is stored as text; invalid UTF-8 never reaches the database.
  NewCase sneaky = Request("cust-1", Category::kOther);
  sneaky.description = std::string("'); DROP TABLE care_cases; -- \xFF\xFE\0\x01" "end", 37);
  Case c = OpenOk(sneaky);
  EXPECT_EQ(c.description.rfind("'); DROP TABLE care_cases; --", 0), 0u);
  EXPECT_EQ(c.description.find('\0'), std::string::npos);
  EXPECT_NE(c.description.find("end"), std::string::npos);
  auto again = cases_->GetForCustomer("cust-1", c.id);
  ASSERT_OK(again);

  auto empty = cases_->CustomerReply("cust-1", c.id, CustomerUpdate{});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "care.empty_update");
  auto unknown_item = cases_->RequestInformation(app_agent_, c.id, {"blood_type"}, "");
  ASSERT_FALSE(unknown_item.ok());
  EXPECT_EQ(unknown_item.error().code, "care.unknown_item");
}

TEST_P(CasesTest, CustomerClosesTheirCase) {
  NewCase request = Request("cust-1", Category::kHowTo);
  request.description = "never mind";
  Case c = OpenOk(request);
  auto closed = cases_->CustomerClose("cust-1", c.id);
  ASSERT_OK(closed);
  EXPECT_EQ(closed->status, CaseStatus::kClosed);
  auto queue = cases_->Queue(app_agent_);
  ASSERT_OK(queue);
  EXPECT_TRUE(queue->empty());
  auto all = cases_->Queue(app_agent_, true);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, CasesTest, ::testing::ValuesIn(store::TestBackends()),
                         store::BackendTestName);

// ---- no store needed ----

TEST(CaseRules, IdsCarryACheckDigit) {
  EXPECT_TRUE(IsValidCaseId("C-1234567897"));   // Luhn over 123456789 -> 7
  EXPECT_FALSE(IsValidCaseId("C-1234567890"));
  EXPECT_FALSE(IsValidCaseId("C-2134567897"));  // neighbouring digits swapped
  EXPECT_FALSE(IsValidCaseId("c-1234567897"));
  EXPECT_FALSE(IsValidCaseId("C-123456789"));
  EXPECT_FALSE(IsValidCaseId(""));
}

TEST(CaseRules, NamesRoundTrip) {
  for (Category c : {Category::kRegistrationActivation, Category::kAppError, Category::kHowTo,
                     Category::kFailedOrStuckTransfer, Category::kMoneyNotReceived,
                     Category::kDebitedWithoutCompletion, Category::kLinkingAccountsCards, Category::kLimits,
                     Category::kSecurityUnusualActivity, Category::kOther}) {
    EXPECT_EQ(ParseCategory(ToString(c)), c);
    EXPECT_TRUE(FindMessage("care.case_category." + std::string(ToString(c))).has_value()) << ToString(c);
  }
  for (CaseStatus s : {CaseStatus::kOpen, CaseStatus::kWaitingCustomer, CaseStatus::kInProgress,
                       CaseStatus::kEscalated, CaseStatus::kResolved, CaseStatus::kClosed}) {
    EXPECT_EQ(ParseCaseStatus(ToString(s)), s);
    EXPECT_TRUE(FindMessage("care.case_status." + std::string(ToString(s))).has_value()) << ToString(s);
  }
  EXPECT_FALSE(ParseCategory("money").has_value());
}

TEST(CaseRules, EveryCodeHasArabicAndEnglish) {
  const char* codes[] = {
      "care.customer_required", "care.text_too_long", "care.unknown_bank", "care.invalid_amount",
      "care.too_many_attachments", "care.attachment_empty", "care.attachment_too_large", "care.attachment_type",
      "care.attachment_corrupt", "care.attachment_not_found", "care.case_not_found", "care.case_closed",
      "care.case_resolved", "care.forbidden", "care.empty_update", "care.empty_message",
      "care.freeze_not_security", "care.not_frozen", "care.unknown_item", "care.already_in_queue",
      "care.answer_required", "care.case_ask_missing", "care.case_item.description", "care.case_item.ir_reference",
      "care.case_item.transaction_time", "care.case_item.amount", "care.case_item.counterparty",
      "care.case_item.bank", "care.case_item.screenshot", "care.case_item.national_id",
      "care.diagnosis.completed", "care.diagnosis.reversed", "care.diagnosis.failed", "care.diagnosis.no_reason",
      "care.diagnosis.debited_open", "care.diagnosis.disputed", "care.diagnosis.pending",
      "care.diagnosis.pending_no_deadline", "care.diagnosis.not_found"};
  for (const char* code : codes) {
    auto message = FindMessage(code);
    ASSERT_TRUE(message.has_value()) << code;
    EXPECT_FALSE(message->ar.empty()) << code;
    EXPECT_FALSE(message->en.empty()) << code;
  }
}

}  // namespace
}  // namespace lahza::care
