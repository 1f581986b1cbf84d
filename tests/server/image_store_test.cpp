// Unit tests: the uploaded image's type check and bounds.
#include "image_store.hpp"

#include <gtest/gtest.h>

#include <string>

namespace brigade::server {
namespace {

using namespace std::string_literals;

TEST(ImageStore, SniffsOnlyRasterFormats) {
  EXPECT_EQ(sniff_image_type("\x89PNG\r\n\x1a\n..."s), "image/png");
  EXPECT_EQ(sniff_image_type("\xFF\xD8\xFF\xE0"s), "image/jpeg");
  EXPECT_EQ(sniff_image_type("GIF89a..."), "image/gif");
  EXPECT_EQ(sniff_image_type("RIFF\0\0\0\0WEBPVP8 "s), "image/webp");
  EXPECT_EQ(sniff_image_type("RIFF\0\0\0\0WAVEfmt "s), "");
  EXPECT_EQ(sniff_image_type("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "");
  EXPECT_EQ(sniff_image_type("<!doctype html>"), "");
  EXPECT_EQ(sniff_image_type(""), "");
}

TEST(ImageStore, KeepsTheLatestGoodImageAndRefusesTheRest) {
  ImageStore store;
  EXPECT_FALSE(store.get());
  const std::string png = "\x89PNG\r\n\x1a\nfirst"s;
  EXPECT_FALSE(store.put(png));
  ASSERT_TRUE(store.get());
  EXPECT_EQ(*store.get()->bytes, png);
  EXPECT_EQ(store.get()->content_type, "image/png");

  EXPECT_TRUE(store.put("<svg/>"));
  EXPECT_TRUE(store.put(""));
  std::string huge = "\xFF\xD8\xFF"s;
  huge.resize(kMaxImageUploadBytes + 1, '\0');
  const auto too_big = store.put(huge);
  ASSERT_TRUE(too_big);
  EXPECT_NE(too_big->message.find("16 MiB"), std::string::npos);
  EXPECT_EQ(too_big->status, 415u);
  EXPECT_EQ(too_big->reason, ErrorReason::kBadUpload);
  EXPECT_EQ(*store.get()->bytes, png);  // unchanged by refusals

  const std::string gif = "GIF87asecond";
  EXPECT_FALSE(store.put(gif));
  EXPECT_EQ(*store.get()->bytes, gif);
  EXPECT_EQ(store.get()->content_type, "image/gif");
}

}  // namespace
}  // namespace brigade::server
