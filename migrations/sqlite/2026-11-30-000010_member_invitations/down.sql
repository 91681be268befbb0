DROP TABLE member_invitations;
