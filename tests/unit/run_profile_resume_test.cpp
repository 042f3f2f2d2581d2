// What `ipw profile --resume` runs with: flags to config keys, and the rules of a resume.
#include "ipw/run/profile_resume.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace ipw::run {
namespace {

TEST(ProfileResume, FlagsNameTheirConfigKeys) {
  ProfileConfig cfg;
  cfg.connect_timeout_s = 7;
  cfg.engine_args = {"--threads", "2"};
  cfg.dataset_format = "csv";
  cfg.chat = false;
  cfg.judge_url = "http://judge:8000";
  const nlohmann::json o = overrides_from_flags({"connect-timeout", "engine-arg", "format", "completion", "judge",
                                                 "resume"},
                                                cfg);
  EXPECT_EQ(o["connect_timeout_s"], 7);
  EXPECT_EQ(o["engine_args"], nlohmann::json({"--threads", "2"}));
  EXPECT_EQ(o["dataset_format"], "csv");
  EXPECT_EQ(o["chat"], false);
  EXPECT_EQ(o["judge_url"], "http://judge:8000");
  EXPECT_EQ(o.size(), 5u) << o.dump();  // --resume sets no key
}

TEST(ProfileResume, AnEngineModelIsOverriddenAsTheFile) {
  ProfileConfig cfg;
  cfg.model = "tiny";
  cfg.engine_model_path = "/models/tiny.gguf";
  const nlohmann::json o = overrides_from_flags({"model"}, cfg);
  EXPECT_EQ(o["engine_model_path"], "/models/tiny.gguf");
  EXPECT_EQ(o["model"], "tiny");
}

TEST(ProfileResume, FlagsGivenAgainOverrideTheStoredRun) {
  ProfileConfig first;
  first.server = "http://a:8080";
  first.engine = "llama.cpp";
  first.max_tokens = 64;
  const nlohmann::json stored = to_stored_json(first);
  const ProfileConfig same = resume_config(stored, nlohmann::json::object(), "runs/x");
  EXPECT_EQ(same.max_tokens, 64);
  EXPECT_EQ(same.engine, "llama.cpp");
  // A new --server replaces the engine the run started itself.
  const ProfileConfig moved = resume_config(stored, {{"server", "http://b:8080"}, {"max_tokens", 32}}, "runs/x");
  EXPECT_EQ(moved.server, "http://b:8080");
  EXPECT_EQ(moved.max_tokens, 32);
  EXPECT_TRUE(moved.engine.empty());
}

TEST(ProfileResume, WhatChoosesTheItemsCannotChange) {
  ProfileConfig first;
  first.sample = 10;
  const nlohmann::json stored = to_stored_json(first);
  try {
    (void)resume_config(stored, {{"sample", 20}}, "runs/x");
    FAIL() << "a different --sample was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'sample' was 10 when runs/x started"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW((void)resume_config(stored, {{"sample", 10}}, "runs/x"));  // the same value is fine
}

TEST(ProfileResume, AStoredUrlWithoutItsCredentialsMustBeGivenAgain) {
  ProfileConfig first;
  first.server = "http://user:secret@a:8080";
  const nlohmann::json stored = to_stored_json(first);
  EXPECT_THROW((void)resume_config(stored, nlohmann::json::object(), "runs/x"), std::invalid_argument);
  const ProfileConfig again = resume_config(stored, {{"server", "http://user:secret@a:8080"}}, "runs/x");
  EXPECT_EQ(again.server, "http://user:secret@a:8080");
}

}  // namespace
}  // namespace ipw::run
