"""AlimTalk templates as the store's gateway account has them: synced, checked at save, kept in sync."""
