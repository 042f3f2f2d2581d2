# The judge prompt templates (data/judge/*.txt) ship inside the binary, like the built-in
# workload, so `--judge` works from any directory and the prompt a run used is exactly the
# text whose hash its manifest records.
file(GLOB IPW_JUDGE_PROMPTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/data/judge/*.txt)
string(REPLACE ";" "|" IPW_JUDGE_PROMPTS_ARG "${IPW_JUDGE_PROMPTS}")  # a list cannot cross the command line
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/generated/judge_prompt_files.cpp
  COMMAND ${CMAKE_COMMAND} -DOUT=${CMAKE_BINARY_DIR}/generated/judge_prompt_files.cpp
          "-DINPUTS=${IPW_JUDGE_PROMPTS_ARG}" -P ${CMAKE_SOURCE_DIR}/cmake/embed_judge_prompts.cmake
  DEPENDS ${IPW_JUDGE_PROMPTS} ${CMAKE_SOURCE_DIR}/cmake/embed_judge_prompts.cmake
  COMMENT "Embedding the judge prompts" VERBATIM)
target_sources(ipw PRIVATE ${CMAKE_BINARY_DIR}/generated/judge_prompt_files.cpp)
