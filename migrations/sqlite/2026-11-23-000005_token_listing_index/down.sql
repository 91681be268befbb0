DROP INDEX anaf_tokens_listing;
