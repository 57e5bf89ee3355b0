CREATE TABLE `siem_destinations` (
	`name` text PRIMARY KEY NOT NULL,
	`delivered_seq` integer DEFAULT 0 NOT NULL,
	`delivered_record` text,
	`delivered_at` integer,
	`last_error` text,
	`last_error_at` integer,
	`failures` integer DEFAULT 0 NOT NULL,
	`enabled` integer DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE `siem_outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`record_id` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_chain_record` ON `audit_chain` (`kind`,`ref`);