// The manifest's model_info: from --model-info flags and from the engine's GGUF file.
#include "ipw/run/model_info.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ipw::run {
namespace {

TEST(ModelInfo, ParameterCountsWithSuffixes) {
  EXPECT_DOUBLE_EQ(*parse_parameters("8B"), 8e9);
  EXPECT_DOUBLE_EQ(*parse_parameters("1.5b"), 1.5e9);
  EXPECT_DOUBLE_EQ(*parse_parameters("350M"), 350e6);
  EXPECT_DOUBLE_EQ(*parse_parameters("7e9"), 7e9);
  EXPECT_FALSE(parse_parameters("eight"));
  EXPECT_FALSE(parse_parameters("8Q"));
  EXPECT_FALSE(parse_parameters("0"));
  EXPECT_FALSE(parse_parameters(""));
}

TEST(ModelInfo, FlagsBecomeTypedFacts) {
  const auto info = model_info_from_flags({"parameters=8B", "release_date=2025-04-29", "family=qwen3"});
  EXPECT_DOUBLE_EQ(info["parameters"].get<double>(), 8e9);
  EXPECT_EQ(info["release_date"], "2025-04-29");
  EXPECT_EQ(info["family"], "qwen3");
  EXPECT_TRUE(model_info_from_flags({}).empty());
}

TEST(ModelInfo, BadFlagsAreClearErrors) {
  for (const char* bad : {"parameters", "=8B", "parameters=", "parameters=lots", "release_date=29/04/2025",
                          "release_date=2025-13-01"}) {
    EXPECT_THROW(model_info_from_flags({bad}), std::invalid_argument) << bad;
  }
  try {
    model_info_from_flags({"release_date=April"});
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("YYYY-MM-DD"), std::string::npos) << e.what();
  }
}

TEST(ModelInfo, TheGgufFillsInWhatTheUserDidNotSay) {
  const nlohmann::json gguf = {{"parameter_count", 1234567}, {"architecture", "llama"}, {"file_type", "Q4_K - Medium"},
                               {"context_length", 4096}, {"name", "tiny"}};
  auto info = model_info_with_gguf(nlohmann::json::object(), gguf);
  EXPECT_EQ(info["parameters"], 1234567);
  EXPECT_EQ(info["parameters_source"], "gguf");
  EXPECT_EQ(info["architecture"], "llama");
  EXPECT_EQ(info["quantization"], "Q4_K - Medium");
  EXPECT_EQ(info["context_length"], 4096);
  // The user's own values win.
  info = model_info_with_gguf(model_info_from_flags({"parameters=8B", "release_date=2025-04-29"}), gguf);
  EXPECT_DOUBLE_EQ(info["parameters"].get<double>(), 8e9);
  EXPECT_EQ(info["parameters_source"], "--model-info");
  EXPECT_EQ(info["release_date"], "2025-04-29");
  // Facts the file does not have are left out, not 0.
  info = model_info_with_gguf(nlohmann::json::object(), {{"parameter_count", 0}, {"architecture", ""}});
  EXPECT_FALSE(info.contains("parameters"));
  EXPECT_FALSE(info.contains("architecture"));
}

}  // namespace
}  // namespace ipw::run
