# INPUTS arrives "|"-separated (see CMakeLists.txt).
string(REPLACE "|" ";" INPUTS "${INPUTS}")
# Writes OUT: a C++ file defining ipw::workload::builtin_files(), the contents of
# each INPUTS file as a raw string literal keyed by its file name.
set(body "#include \"ipw/workload/builtin_data.h\"\nnamespace ipw::workload {\nconst std::vector<BuiltinFile>& builtin_files() {\n  static const std::vector<BuiltinFile> files = {\n")
foreach(f IN LISTS INPUTS)
  file(READ ${f} content)
  get_filename_component(name ${f} NAME)
  string(APPEND body "    {\"${name}\", R\"ipwdata(${content})ipwdata\"},\n")
endforeach()
string(APPEND body "  };\n  return files;\n}\n}  // namespace ipw::workload\n")
file(WRITE ${OUT} "${body}")
