CREATE TABLE `action_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`action_id` text NOT NULL,
	`at` integer NOT NULL,
	`status` text NOT NULL,
	`message` text NOT NULL,
	FOREIGN KEY (`action_id`) REFERENCES `actions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `action_events_action` ON `action_events` (`action_id`,`id`);--> statement-breakpoint
CREATE TABLE `actions` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`target` text NOT NULL,
	`tenant_id` text NOT NULL,
	`provider` text NOT NULL,
	`mode` text NOT NULL,
	`parameters` text NOT NULL,
	`reason` text,
	`requested_by` text NOT NULL,
	`provider_ref` text,
	`result` text,
	`error` text,
	`active` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	`expires_at` integer,
	`reverts` text,
	`reverted_by` text
);
--> statement-breakpoint
CREATE INDEX `actions_type_id` ON `actions` (`type`,`id`);--> statement-breakpoint
CREATE INDEX `actions_type_status_id` ON `actions` (`type`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `actions_status_id` ON `actions` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `actions_target_id` ON `actions` (`target`,`id`);--> statement-breakpoint
CREATE INDEX `actions_tenant_id` ON `actions` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `actions_created` ON `actions` (`created_at`,`type`,`status`,`completed_at`);--> statement-breakpoint
CREATE INDEX `actions_active` ON `actions` (`type`,`expires_at`,`target`) WHERE "actions"."active" = 1;--> statement-breakpoint
CREATE INDEX `actions_open` ON `actions` (`status`,`type`) WHERE "actions"."status" in ('pending', 'in_progress');--> statement-breakpoint
CREATE INDEX `actions_reverts` ON `actions` (`reverts`);