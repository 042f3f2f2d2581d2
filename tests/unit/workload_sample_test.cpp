#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ipw/workload/sample.h"

namespace ipw::workload {
namespace {

std::vector<Item> make_items(const std::map<std::string, int>& per_category) {
  std::vector<Item> items;
  for (const auto& [cat, n] : per_category) {
    for (int i = 0; i < n; ++i) items.push_back(Item{cat + "-" + std::to_string(i), "p", "a", "exact", cat, "s", {}, {}});
  }
  return items;
}

std::vector<std::string> ids(const std::vector<Item>& items) {
  std::vector<std::string> out;
  for (const Item& i : items) out.push_back(i.id);
  return out;
}

TEST(WorkloadSample, KeepsAllWhenNIsZeroOrLarge) {
  auto items = make_items({{"a", 3}});
  EXPECT_EQ(sample_items(items, {0, 1, ""}).size(), 3u);
  EXPECT_EQ(sample_items(items, {10, 1, ""}).size(), 3u);
}

TEST(WorkloadSample, DeterministicPerSeedAndInOriginalOrder) {
  auto items = make_items({{"a", 50}});
  auto s1 = sample_items(items, {10, 42, ""});
  auto s2 = sample_items(items, {10, 42, ""});
  auto s3 = sample_items(items, {10, 43, ""});
  ASSERT_EQ(s1.size(), 10u);
  EXPECT_EQ(ids(s1), ids(s2));
  EXPECT_NE(ids(s1), ids(s3));
  const std::vector<std::string> chosen = ids(s1);
  std::set<std::string> unique(chosen.begin(), chosen.end());
  EXPECT_EQ(unique.size(), 10u);
  // Original order: the ids' numeric suffixes increase.
  int last = -1;
  for (const Item& it : s1) {
    const int k = std::stoi(it.id.substr(2));
    EXPECT_GT(k, last);
    last = k;
  }
}

TEST(WorkloadSample, StratifiedQuotasAreProportionalAndSumToN) {
  auto items = make_items({{"big", 60}, {"mid", 30}, {"small", 10}});
  auto s = sample_items(items, {20, 7, "category"});
  ASSERT_EQ(s.size(), 20u);
  std::map<std::string, int> count;
  for (const Item& it : s) ++count[it.category];
  EXPECT_EQ(count["big"], 12);
  EXPECT_EQ(count["mid"], 6);
  EXPECT_EQ(count["small"], 2);
}

TEST(WorkloadSample, SmallGroupsAreNotLost) {
  auto items = make_items({{"big", 97}, {"tiny1", 1}, {"tiny2", 2}});
  auto s = sample_items(items, {5, 1, "category"});
  ASSERT_EQ(s.size(), 5u);
  std::map<std::string, int> count;
  for (const Item& it : s) ++count[it.category];
  EXPECT_EQ(count["tiny1"], 1);
  EXPECT_EQ(count["tiny2"], 1);
  EXPECT_EQ(count["big"], 3);
}

TEST(WorkloadSample, MoreGroupsThanN) {
  auto items = make_items({{"a", 5}, {"b", 5}, {"c", 5}, {"d", 5}});
  auto s = sample_items(items, {2, 3, "category"});
  EXPECT_EQ(s.size(), 2u);
}

TEST(WorkloadSample, UnknownStratifyField) {
  auto items = make_items({{"a", 5}});
  EXPECT_THROW(sample_items(items, {2, 1, "colour"}), std::invalid_argument);
}

}  // namespace
}  // namespace ipw::workload
