// What the reliability tests check of the books once every server has
// stopped, read straight from the database rather than through the API.
#pragma once

#include <gtest/gtest.h>

#include "ipn/maintained_counts.h"
#include "ledger/ledger.h"

namespace lahza::reliability {

// The ledger's invariants hold, every debit has its credit, and no hold is
// left pending (each send was completed, reversed or cancelled).
inline void ExpectBooksBalance(ledger::Ledger& ledger) {
  EXPECT_TRUE(ledger.CheckInvariants().ok());
  auto totals = ledger.GetTotals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->debits_posted, totals->credits_posted);
  EXPECT_EQ(totals->debits_pending, 0) << "holds left pending";
  EXPECT_EQ(totals->credits_pending, 0) << "holds left pending";
}

}  // namespace lahza::reliability
