# The operators' debug chart (web/debug.html) against a real brigade-server fed by simulated
# singers that upload real Opus audio (brigade-sim-singers).
if(TARGET brigade-server AND TARGET brigade_test_support)
  add_executable(brigade-sim-singers ${CMAKE_CURRENT_LIST_DIR}/sim_singers.cpp)
  target_link_libraries(brigade-sim-singers PRIVATE brigade_test_support brigade_engine brigade_warnings)

  add_test(NAME browser_debug COMMAND node --test ${CMAKE_CURRENT_LIST_DIR}/debug.test.mjs)
  set_tests_properties(browser_debug PROPERTIES
    ENVIRONMENT "BRIGADE_SERVER=$<TARGET_FILE:brigade-server>;BRIGADE_SIM_SINGERS=$<TARGET_FILE:brigade-sim-singers>;BRIGADE_WEB_ROOT=${PROJECT_SOURCE_DIR}/web;BRIGADE_ARTIFACTS=${PROJECT_BINARY_DIR}/artifacts"
    LABELS browser
    TIMEOUT 300
    RUN_SERIAL TRUE
    SKIP_RETURN_CODE 77
    SKIP_REGULAR_EXPRESSION "BRIGADE-SKIP:")
endif()

# Where the chart gets its data: the debug stream by default, polling when the stream is
# blocked or keeps dropping.
if(TARGET brigade-server AND TARGET brigade-sim-singers)
  add_test(NAME browser_chart_stream COMMAND node --test ${CMAKE_CURRENT_LIST_DIR}/chart_stream.test.mjs)
  set_tests_properties(browser_chart_stream PROPERTIES
    ENVIRONMENT "BRIGADE_SERVER=$<TARGET_FILE:brigade-server>;BRIGADE_SIM_SINGERS=$<TARGET_FILE:brigade-sim-singers>;BRIGADE_WEB_ROOT=${PROJECT_SOURCE_DIR}/web;BRIGADE_ARTIFACTS=${PROJECT_BINARY_DIR}/artifacts"
    LABELS "browser;websocket"
    TIMEOUT 240
    RUN_SERIAL TRUE
    SKIP_RETURN_CODE 77
    SKIP_REGULAR_EXPRESSION "BRIGADE-SKIP:")
endif()

# The chart's choice of source in plain node: a scripted WebSocket and fetch.
add_test(NAME browser_debug_source COMMAND node --test ${CMAKE_CURRENT_LIST_DIR}/debug_source.test.mjs)
set_tests_properties(browser_debug_source PROPERTIES LABELS "browser;websocket" TIMEOUT 60)
