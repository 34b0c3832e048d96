#include "xml_names.h"

namespace feedwatch::xmlfeed {

NameTable RssItemNames(const Names& n) {
  NameTable t;
  t.Add("title", kTitle), t.Add(n.dc_title, kDcTitle), t.Add("guid", kGuid), t.Add("link", kLink);
  t.Add(n.atom_link, kAtomLink), t.Add("description", kDescription),
      t.Add(n.dc_description, kDcDescription);
  t.Add(n.content_encoded, kContentEncoded), t.Add("pubDate", kPubDate), t.Add(n.dc_date, kDcDate);
  t.Add(n.atom_published, kAtomPublished), t.Add(n.atom_updated, kAtomUpdated),
      t.Add("author", kAuthor);
  t.Add(n.dc_creator, kDcCreator), t.Add("category", kCategory), t.Add(n.dc_subject, kDcSubject);
  t.Add("enclosure", kEnclosure), t.Add(n.media_title, kMediaTitle),
      t.Add(n.media_description, kMediaDescription);
  t.Add(n.media_content, kMediaContent), t.Add(n.media_thumbnail, kMediaThumbnail),
      t.Add(n.media_group, kMediaGroup);
  t.Add(n.feedburner_orig_link, kOrigLink);
  return t;
}

NameTable RssFeedNames(const Names& n) {
  NameTable t;
  t.Add("channel", kChannel), t.Add("item", kItem), t.Add("title", kTitle),
      t.Add(n.dc_title, kDcTitle);
  t.Add("link", kLink), t.Add("ttl", kTtl), t.Add(n.sy_period, kSyPeriod),
      t.Add(n.sy_frequency, kSyFrequency);
  return t;
}

NameTable AtomFeedNames(const Names& n) {
  NameTable t;
  t.Add(n.entry, kEntry), t.Add(n.title, kTitle), t.Add(n.link, kLink);
  return t;
}

NameTable AtomEntryNames(const Names& n) {
  NameTable t;
  t.Add(n.id, kId), t.Add(n.title, kTitle), t.Add(n.link, kLink), t.Add(n.summary, kSummary);
  t.Add(n.content, kContent), t.Add(n.published, kPublished), t.Add(n.updated, kUpdated),
      t.Add(n.issued, kIssued);
  t.Add(n.created, kCreated), t.Add(n.modified, kModified), t.Add(n.author, kAuthor),
      t.Add(n.category, kCategory);
  t.Add(n.feedburner_orig_link, kOrigLink);
  return t;
}

}  // namespace feedwatch::xmlfeed
