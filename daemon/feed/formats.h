// Internal: the format readers behind ParseFeed().
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/feed.h"

namespace feedwatch {

bool LooksLikeJsonFeed(std::string_view utf8);
Result<ParsedFeed> ParseJsonFeed(std::string_view utf8, std::string_view url,
                                 const ParseOptions& opt, const std::string& where);

// Reads an RSS or Atom DOM into `feed`. `entry_nodes` receives the element
// each entry came from, in order (to judge truncation after an XML error).
// Returns false when the root element is not a feed.
bool ReadXmlFeed(const pugi::xml_document& doc, std::string_view url, const ParseOptions& opt,
                 ParsedFeed& feed, std::vector<pugi::xml_node>* entry_nodes);

}  // namespace feedwatch
