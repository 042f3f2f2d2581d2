#include <stdexcept>

#include <gtest/gtest.h>

#include "ipw/inference/client.h"
#include "ipw/inference/http_streamer.h"

namespace ipw::inference {
namespace {

TEST(InferenceRegistry, KnowsBothApis) {
  EXPECT_EQ(client_names(), (std::vector<std::string>{"openai", "ollama"}));
  const auto infos = client_infos();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].name, "openai");
  EXPECT_FALSE(infos[1].description.empty());
  ClientOptions opts;
  opts.base_url = "http://127.0.0.1:1";
  EXPECT_NE(make_client("openai", opts), nullptr);
  EXPECT_NE(make_client("ollama", opts), nullptr);
}

TEST(InferenceRegistry, UnknownApiNamesTheKnownOnes) {
  ClientOptions opts;
  opts.base_url = "http://127.0.0.1:1";
  try {
    make_client("vllm", opts);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("openai, ollama"), std::string::npos) << e.what();
  }
}

TEST(InferenceRegistry, RejectsUrlWithoutScheme) {
  ClientOptions opts;
  opts.base_url = "localhost:8080";
  EXPECT_THROW(make_client("openai", opts), std::invalid_argument);
  opts.base_url = "";
  EXPECT_THROW(make_client("ollama", opts), std::invalid_argument);
}

TEST(InferenceRegistry, ServerUrlCheckIsOneAndKeepsCredentialsOut) {
  EXPECT_EQ(normalise_base_url("HTTP://127.0.0.1:8080//"), "HTTP://127.0.0.1:8080");  // schemes are case-free
  try {
    (void)normalise_base_url("ftp://user:secret@127.0.0.1:21");
    FAIL() << "ftp:// accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("is not an http:// or https:// URL"), std::string::npos) << what;
    EXPECT_EQ(what.find("secret"), std::string::npos) << what;
  }
}

TEST(InferenceRegistry, FailureKindNamesRoundTrip) {
  for (FailureKind k : {FailureKind::connect, FailureKind::timeout_connect,
                        FailureKind::timeout_first_token, FailureKind::timeout_total,
                        FailureKind::http_status, FailureKind::protocol, FailureKind::cancelled}) {
    EXPECT_EQ(failure_kind_from_string(to_string(k)), k) << to_string(k);
  }
  EXPECT_STREQ(to_string(FailureKind::timeout_first_token), "timeout_first_token");
  EXPECT_FALSE(failure_kind_from_string("bogus").has_value());
  EXPECT_TRUE(is_timeout(FailureKind::timeout_connect));
  EXPECT_FALSE(is_timeout(FailureKind::http_status));
}

}  // namespace
}  // namespace ipw::inference
