// EXPECT_ERROR(result, code): the result failed with exactly `code`, and the
// code has an Arabic and English entry in the message catalogue.
// ASSERT_OK(result): the result succeeded (shows the error code if not).
// Both accept `<< "more context"` like any gtest assertion.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "core/messages.h"

namespace lahza::test {

template <class R>
::testing::AssertionResult FailsWith(const R& result, std::string_view code) {
  if (result.ok()) return ::testing::AssertionFailure() << "succeeded, expected " << code;
  if (result.error().code != code) {
    return ::testing::AssertionFailure() << "failed with " << result.error().code << " (" << result.error().detail
                                         << "), expected " << code;
  }
  if (!FindMessage(code)) return ::testing::AssertionFailure() << "no catalogue entry for " << code;
  return ::testing::AssertionSuccess();
}

template <class R>
::testing::AssertionResult Succeeds(const R& result) {
  if (result.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.error().code << ": " << result.error().detail;
}

}  // namespace lahza::test

#define EXPECT_ERROR(expr, code) EXPECT_TRUE(::lahza::test::FailsWith((expr), (code))) << #expr
#define ASSERT_OK(expr) ASSERT_TRUE(::lahza::test::Succeeds((expr))) << #expr
