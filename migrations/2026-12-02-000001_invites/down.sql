DROP TABLE registration_tickets;
