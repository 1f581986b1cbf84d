# The operators' debug chart (web/debug.html) against a real brigade-server fed by simulated
# singers that upload real Opus audio (brigade-sim-singers).
if(TARGET brigade-server AND TARGET brigade_test_support)
  add_executable(brigade-sim-singers ${CMAKE_CURRENT_LIST_DIR}/sim_singers.cpp)
  target_link_libraries(brigade-sim-singers PRIVATE brigade_test_support brigade_engine brigade_warnings)

  brigade_browser_test(browser_debug debug.test.mjs TIMEOUT 300
    ENVIRONMENT "BRIGADE_SIM_SINGERS=$<TARGET_FILE:brigade-sim-singers>")
endif()

# Where the chart gets its data: the debug stream by default, polling when the stream is
# blocked or keeps dropping.
if(TARGET brigade-server AND TARGET brigade-sim-singers)
  brigade_browser_test(browser_chart_stream chart_stream.test.mjs TIMEOUT 240 LABELS websocket
    ENVIRONMENT "BRIGADE_SIM_SINGERS=$<TARGET_FILE:brigade-sim-singers>")
endif()

# The chart's choice of source in plain node: a scripted WebSocket and fetch.
add_test(NAME browser_debug_source COMMAND node --test ${CMAKE_CURRENT_LIST_DIR}/debug_source.test.mjs)
set_tests_properties(browser_debug_source PROPERTIES LABELS "browser;websocket" TIMEOUT 60)
