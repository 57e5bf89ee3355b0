CREATE TABLE `audit_chain` (
	`seq` integer PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`ref` text NOT NULL,
	`at` integer NOT NULL,
	`digest` blob,
	`prev_hash` blob NOT NULL,
	`hash` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_checkpoints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`seq` integer NOT NULL,
	`hash` blob NOT NULL,
	`at` integer NOT NULL,
	`reason` text NOT NULL,
	`key_id` text NOT NULL,
	`signature` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_verifications` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`ok` integer NOT NULL,
	`records` integer NOT NULL,
	`checkpoints` integer NOT NULL,
	`seconds` real NOT NULL,
	`problem` text
);
