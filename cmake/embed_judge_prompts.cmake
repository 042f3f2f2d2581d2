# INPUTS arrives "|"-separated (see cmake/judge_prompts.cmake).
string(REPLACE "|" ";" INPUTS "${INPUTS}")
# Writes OUT: a C++ file defining ipw::judge::prompt_files(), the bytes of each INPUTS
# file as a raw string literal keyed by its file name.
set(body "#include \"ipw/judge/prompt_files.h\"\nnamespace ipw::judge {\nconst std::vector<PromptFile>& prompt_files() {\n  static const std::vector<PromptFile> files = {\n")
foreach(f IN LISTS INPUTS)
  file(READ ${f} content)
  get_filename_component(name ${f} NAME)
  string(APPEND body "    {\"${name}\", R\"ipwprompt(${content})ipwprompt\"},\n")
endforeach()
string(APPEND body "  };\n  return files;\n}\n}  // namespace ipw::judge\n")
file(WRITE ${OUT} "${body}")
