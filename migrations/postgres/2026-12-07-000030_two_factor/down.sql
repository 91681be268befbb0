DROP TABLE two_factor_policy;
DROP TABLE recovery_codes;
DROP TABLE user_totp;
