-- What a server says of itself (NodeInfo, web app manifest), refreshed about daily while it
-- talks to this one, and when it last did.
ALTER TABLE instances
    ADD COLUMN software_name varchar(64),
    ADD COLUMN software_version varchar(64),
    ADD COLUMN open_registrations boolean,
    ADD COLUMN name varchar(256),
    ADD COLUMN description varchar(4096),
    ADD COLUMN maintainer_name varchar(256),
    ADD COLUMN maintainer_email varchar(256),
    ADD COLUMN icon_url varchar(512),
    ADD COLUMN theme_color varchar(64),
    ADD COLUMN info_updated_at timestamptz,
    ADD COLUMN latest_request_received_at timestamptz;
