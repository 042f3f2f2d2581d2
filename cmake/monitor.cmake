# The telemetry daemon (`ipw monitor`, `--telemetry remote:`) in its own
# libraries, so the core `ipw` library never depends on gRPC:
#   ipw_monitor_proto  code generated from proto/*.proto (compiled without our warnings)
#   ipw_monitor        src/ipw/monitor/*.cpp, linked into the ipw executable and ipw_tests
# Debian 12 ships gRPC's CMake config (libgrpc++-dev) and protobuf through FindProtobuf.
find_package(gRPC CONFIG REQUIRED)
find_package(Protobuf REQUIRED)

set(IPW_PROTO_DIR ${CMAKE_SOURCE_DIR}/proto)
set(IPW_PROTO_OUT ${CMAKE_BINARY_DIR}/generated/proto)
file(MAKE_DIRECTORY ${IPW_PROTO_OUT})
set(IPW_PROTO_SOURCES)
foreach(name energy ipw_monitor)
  set(outs ${IPW_PROTO_OUT}/${name}.pb.cc ${IPW_PROTO_OUT}/${name}.pb.h
           ${IPW_PROTO_OUT}/${name}.grpc.pb.cc ${IPW_PROTO_OUT}/${name}.grpc.pb.h)
  add_custom_command(
    OUTPUT ${outs}
    COMMAND protobuf::protoc --proto_path=${IPW_PROTO_DIR} --cpp_out=${IPW_PROTO_OUT}
            --grpc_out=${IPW_PROTO_OUT} --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
            ${IPW_PROTO_DIR}/${name}.proto
    DEPENDS ${IPW_PROTO_DIR}/${name}.proto protobuf::protoc gRPC::grpc_cpp_plugin
    COMMENT "Generating gRPC code for proto/${name}.proto")
  list(APPEND IPW_PROTO_SOURCES ${IPW_PROTO_OUT}/${name}.pb.cc ${IPW_PROTO_OUT}/${name}.grpc.pb.cc)
endforeach()

add_library(ipw_monitor_proto STATIC ${IPW_PROTO_SOURCES})
# SYSTEM: generated headers must not trip our -Werror flags where we include them.
target_include_directories(ipw_monitor_proto SYSTEM PUBLIC ${IPW_PROTO_OUT})
target_link_libraries(ipw_monitor_proto PUBLIC gRPC::grpc++ protobuf::libprotobuf)
# protoc gives each generated file the same file-local names: they cannot share a unity file.
set_target_properties(ipw_monitor_proto PROPERTIES UNITY_BUILD OFF)

file(GLOB IPW_MONITOR_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/ipw/monitor/*.cpp)
add_library(ipw_monitor STATIC ${IPW_MONITOR_SOURCES})
target_link_libraries(ipw_monitor
  PUBLIC ipw
  PRIVATE ipw_monitor_proto ipw_warnings PkgConfig::HTTPLIB)

target_link_libraries(ipw_cli PRIVATE ipw_monitor)
if(TARGET ipw_tests)
  target_link_libraries(ipw_tests PRIVATE ipw_monitor ipw_monitor_proto)
endif()
