DROP TABLE link_transactions;
DROP TABLE authorization_link_companies;
DROP TABLE authorization_links;
