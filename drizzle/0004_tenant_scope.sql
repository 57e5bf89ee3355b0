ALTER TABLE `api_tokens` ADD `tenants` text;--> statement-breakpoint
ALTER TABLE `users` ADD `tenants` text;--> statement-breakpoint
ALTER TABLE `users` ADD `must_change_password` integer DEFAULT false NOT NULL;